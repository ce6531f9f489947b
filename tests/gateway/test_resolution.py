"""Resolving UNCONFIRMED orders: placed (then followed by the status sync) or not placed, each
with a history entry and an event naming who resolved it; anything else refused. Three simulated
panels over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from gateway import events
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import InvalidResolution, NotUnconfirmed, OrderUnknown
from gateway.store import GatewayState
from gateway.workers import StatusSync
from providers.models import OrderState
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings
from tests.gateway.unconfirmed import fields, outbox_of, panel_order_id, unconfirmed


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=120)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        yield gateway


async def test_a_placed_resolution_is_followed_by_the_status_sync(gw: Gateway, trio: Trio) -> None:
    order = await unconfirmed(gw, trio, FaultKind.DROP)
    provider = order.provider or ""
    pid = panel_order_id(trio, provider)
    before = datetime.now(UTC)
    resolved = await gw.orders.resolve(order.id, provider_order_id=pid, by="cli:ops")
    assert resolved.state == OrderState.PENDING
    assert resolved.provider_order_id == pid
    assert resolved.error is None
    assert resolved.sent_at == order.sent_at, "the moment of sending is kept"
    assert resolved.next_poll_at is not None
    assert resolved.next_poll_at <= datetime.now(UTC)
    assert resolved.next_poll_at >= before

    history = await gw.store.order_events(order.id)
    assert history[-1].kind == "resolved"
    assert (history[-1].from_state, history[-1].to_state) == ("UNCONFIRMED", "PENDING")
    assert history[-1].data == {"outcome": "placed", "provider_order_id": pid, "by": "cli:ops"}
    announced = await outbox_of(gw, order.id)
    assert [e["type"] for e in announced].count(events.ORDER_UNCONFIRMED) == 1
    assert announced[-1]["type"] == events.ORDER_UPDATED
    assert announced[-1]["data"]["resolution"]["by"] == "cli:ops"
    assert announced[-1]["data"]["order"]["state"] == "PENDING"

    trio.advance(30 * 86400)
    sync = StatusSync(gw.store, gw.providers)
    report = await sync.run(provider)
    assert (report.polled, report.failed, report.missing) == (1, 0, 0)
    synced = await gw.store.get_order(order.id)
    assert synced.state in (OrderState.COMPLETED, OrderState.PARTIAL)
    upstream = trio.sims[provider].panel.orders()[-1]
    assert synced.charge == upstream.charge
    assert sum(trio.calls("add").values()) == 1, "resolving never re-sends"


async def test_a_not_placed_resolution_fails_the_order_without_charge(
    gw: Gateway, trio: Trio
) -> None:
    order = await unconfirmed(gw, trio, FaultKind.HTTP_5XX)
    assert trio.sims[order.provider or ""].panel.order_count == 0
    resolved = await gw.orders.resolve(order.id, not_placed=True, by="api-key:ops#1")
    assert resolved.state == GatewayState.FAILED
    assert resolved.charge is None
    assert resolved.provider_order_id is None
    assert "api-key:ops#1" in (resolved.error or "")
    [entry] = [e for e in await gw.store.order_events(order.id) if e.kind == "resolved"]
    assert entry.data == {"outcome": "not_placed", "by": "api-key:ops#1"}
    announced = await outbox_of(gw, order.id)
    assert announced[-1]["type"] == events.ORDER_FAILED
    assert announced[-1]["data"]["resolution"] == {"outcome": "not_placed", "by": "api-key:ops#1"}
    report = await StatusSync(gw.store, gw.providers).run()
    assert report.polled == 0, "a failed order is never polled"


async def test_only_an_unconfirmed_order_can_be_resolved(gw: Gateway, trio: Trio) -> None:
    service, order_fields = await fields(gw)
    placed = await gw.place("c", service, order_fields)
    assert placed.state == OrderState.PENDING
    with pytest.raises(NotUnconfirmed, match="is PENDING, not UNCONFIRMED"):
        await gw.orders.resolve(placed.id, not_placed=True, by="cli:ops")
    with pytest.raises(OrderUnknown):
        await gw.orders.resolve(999_999, not_placed=True, by="cli:ops")

    order = await unconfirmed(gw, trio, FaultKind.HTTP_5XX, n=1)
    await gw.orders.resolve(order.id, not_placed=True, by="cli:ops")
    with pytest.raises(NotUnconfirmed, match="is FAILED"):
        await gw.orders.resolve(order.id, provider_order_id="1", by="cli:ops")
    assert (await gw.store.get_order(placed.id)).version == placed.version, "left untouched"


@pytest.mark.parametrize(
    ("pid", "not_placed"), [(None, False), ("123", True), ("12,13", False), ("", False)]
)
async def test_a_resolution_needs_exactly_one_well_formed_answer(
    gw: Gateway, trio: Trio, pid: str | None, not_placed: bool
) -> None:
    order = await unconfirmed(gw, trio, FaultKind.HTTP_5XX)
    with pytest.raises(InvalidResolution):
        await gw.orders.resolve(order.id, provider_order_id=pid, not_placed=not_placed, by="x")
    assert (await gw.store.get_order(order.id)).state == GatewayState.UNCONFIRMED


async def test_an_id_another_order_has_is_refused_unless_forced(gw: Gateway, trio: Trio) -> None:
    service, order_fields = await fields(gw)
    other = await gw.place("c", service, order_fields)
    assert other.provider_order_id
    order = await unconfirmed(gw, trio, FaultKind.DROP, n=1)
    assert order.provider == other.provider
    with pytest.raises(InvalidResolution) as refused:
        await gw.orders.resolve(order.id, provider_order_id=other.provider_order_id, by="x")
    assert refused.value.code == "PROVIDER_ORDER_IN_USE"
    assert f"order {other.id}" in refused.value.message
    assert (await gw.store.get_order(order.id)).state == GatewayState.UNCONFIRMED

    forced = await gw.orders.resolve(
        order.id, provider_order_id=other.provider_order_id, by="x", force=True
    )
    assert forced.state == OrderState.PENDING
    assert forced.flags == [events.FLAG_PROVIDER_ORDER_ID_REUSED]
    entry = (await gw.store.order_events(order.id))[-1]
    assert entry.data is not None
    assert (entry.data["also_order"], entry.data["forced"]) == (other.id, True)
    assert (await gw.store.get_order(other.id)).provider_order_id == other.provider_order_id


async def test_an_id_the_panel_does_not_know_is_refused_unless_forced(
    gw: Gateway, trio: Trio
) -> None:
    order = await unconfirmed(gw, trio, FaultKind.DROP)
    with pytest.raises(InvalidResolution) as refused:
        await gw.orders.resolve(order.id, provider_order_id="424242424242", by="x")
    assert refused.value.code == "PROVIDER_ORDER_UNKNOWN"
    trio.sims[order.provider or ""].faults.add(
        Fault(FaultKind.HTTP_5XX, actions=frozenset({"status"}))
    )
    pid = panel_order_id(trio, order.provider or "")
    with pytest.raises(InvalidResolution) as unasked:
        await gw.orders.resolve(order.id, provider_order_id=pid, by="x")
    assert unasked.value.code == "PROVIDER_UNAVAILABLE"
    forced = await gw.orders.resolve(order.id, provider_order_id=pid, by="x", force=True)
    assert forced.state == OrderState.PENDING
    entry = (await gw.store.order_events(order.id))[-1]
    assert entry.data is not None
    assert "cannot ask" in entry.data["unchecked"]
