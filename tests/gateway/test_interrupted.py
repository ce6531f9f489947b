"""Orders a stopped process left behind, and answers that arrive after another writer settled
the order: an order that never left fails, one that may have left is unconfirmed, and the
sender's own answer is never lost. Three simulated panels over real HTTP, on SQLite and
PostgreSQL; calls are held in flight with the simulator's ``hold`` fault."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from gateway.accounts.pricing import PriceList
from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders.interrupted import INTERRUPTED, NOT_SENT
from gateway.orders.sending import PLACED_AFTER_SETTLEMENT
from gateway.store import GatewayState, OrderRow
from providers.base import Provider
from providers.models import OrderState, ServiceType
from providers.registry import ProviderConfig, build
from providers.simulator import Fault, FaultKind, SimulatorServer
from tests.gateway.panels import Trio, shared_group
from tests.gateway.unconfirmed import panel_order_id
from tests.gateway.workers.helpers import eventually


@asynccontextmanager
async def one_call_at_a_time(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    """A gateway whose adapters make one call at a time each, and wait long for their turn."""
    providers: dict[str, Provider] = {
        s.name: build(
            ProviderConfig(
                name=s.name, kind=s.kind, url=s.url, key=SecretStr(trio.sims[s.name].key or ""),
                profile=s.profile, currency=s.currency, timeout=30, concurrency=1,
                calls_per_minute=s.calls_per_minute,
            )
        )
        for s in settings.providers
    }  # fmt: skip
    gateway = await Gateway.open(settings, providers=providers)
    try:
        yield gateway
    finally:
        await gateway.aclose()


def fields_for(group: Group, n: int = 0) -> dict[str, object]:
    quantity = max(m.service.min for m in group.members)
    return {"link": f"https://instagram.com/p/{n}", "quantity": quantity}


async def one_service_each(gw: Gateway) -> Group:
    """A default-type group whose three members are three providers: one call each."""
    snapshot = await gw.catalog.snapshot()
    return next(
        g for _, g in sorted(snapshot.groups.items())
        if g.type is ServiceType.DEFAULT and len(g.members) == len(g.providers) == 3
    )  # fmt: skip


async def ranked(gw: Gateway, group: Group) -> list[str]:
    return [c.offer.provider for c in (await gw.quote(group.id, fields_for(group))).candidates]


def on_add(sim: SimulatorServer, kind: FaultKind, count: int | None = 1, **params: object) -> None:
    sim.faults.add(Fault(kind, actions=frozenset({"add"}), count=count, params=params))


async def until(condition: Callable[[], bool]) -> None:
    await eventually(condition, within=30, interval=0.005)


async def until_orders(gw: Gateway, count: int) -> list[OrderRow]:
    async def recorded() -> bool:
        return len(await gw.store.list_orders(None, None, None, 10)) >= count

    await eventually(recorded, within=30, interval=0.005)
    return sorted(await gw.store.list_orders(None, None, None, 10), key=lambda r: r.id)


async def until_routed(gw: Gateway, count: int, provider: str) -> list[OrderRow]:
    """The first `count` orders, once each was refused by its first member and routed on to
    `provider`, the newest waiting there unsent (the slot is another's)."""

    async def routed() -> bool:
        rows = await gw.store.list_orders(None, None, None, 10)  # newest first
        there = len(rows) >= count and all(r.provider == provider for r in rows)
        return there and rows[0].sent_at is None

    await eventually(routed, within=30, interval=0.005)
    return sorted(await gw.store.list_orders(None, None, None, 10), key=lambda r: r.id)


async def until_claimed(gw: Gateway, key: str) -> None:
    async def claimed() -> bool:
        return await gw.store.idempotency_claim("c", key) is not None

    await eventually(claimed, within=30, interval=0.005)


async def test_after_a_crash_an_order_waiting_for_its_turn_left_no_row_one_that_left_is_unconfirmed(
    settings: Settings, trio: Trio
) -> None:
    async with one_call_at_a_time(settings, trio) as gw:
        group = await shared_group(gw)
        name = (await ranked(gw, group))[0]
        first = trio.sims[name]
        on_add(first, FaultKind.HOLD)
        sending = asyncio.create_task(gw.place("c", group.id, fields_for(group, 1)))
        await until(lambda: first.panel.calls["add"] == 1)
        waiting = asyncio.create_task(
            gw.place("c", group.id, fields_for(group, 2), idempotency_key="second")
        )
        await until_claimed(gw, "second")
        # The first holds the only slot: the second cannot have written its row, wherever it is.
        (left,) = await until_orders(gw, 1)
        for task in (sending, waiting):  # the process dies: neither writes again
            task.cancel()
        await asyncio.gather(sending, waiting, return_exceptions=True)
        first.faults.release()
        settled = await gw.orders.settle_interrupted(timedelta(0), batch=1)
        rows = await gw.store.list_orders(None, None, None, 10)
    assert [(r.id, r.state, r.error) for r in settled] == [
        (left.id, GatewayState.UNCONFIRMED, INTERRUPTED)
    ]
    assert [r.id for r in rows] == [left.id], "the slot is taken before the row"
    assert sum(trio.calls("add").values()) == 1


async def test_after_a_crash_an_order_routed_on_that_never_left_fails(
    settings: Settings, trio: Trio
) -> None:
    async with one_call_at_a_time(settings, trio) as gw:
        group = await one_service_each(gw)
        members = await ranked(gw, group)
        on_add(
            trio.sims[members[0]], FaultKind.ERROR, count=None, text="Not enough funds on balance"
        )
        second = trio.sims[members[1]]
        on_add(second, FaultKind.HOLD)
        sending = asyncio.create_task(gw.place("c", group.id, fields_for(group, 1)))
        await until(lambda: second.panel.calls["add"] == 1)
        waiting = asyncio.create_task(gw.place("c", group.id, fields_for(group, 2)))
        left, queued = await until_routed(gw, 2, members[1])
        for task in (sending, waiting):  # the process dies: neither writes again
            task.cancel()
        await asyncio.gather(sending, waiting, return_exceptions=True)
        second.faults.release()
        settled = await gw.orders.settle_interrupted(timedelta(0), batch=1)
    assert [(r.id, r.state, r.error) for r in settled] == [
        (left.id, GatewayState.UNCONFIRMED, INTERRUPTED),
        (queued.id, GatewayState.FAILED, NOT_SENT),
    ], "oldest first, a page at a time"
    assert settled[1].attempts[-1]["error"] == "NotSent"
    assert [a["provider"] for a in settled[1].attempts] == [members[0], members[1]]
    assert second.panel.calls["add"] == 1


async def test_an_order_settled_as_never_sent_is_never_sent_after_all(
    settings: Settings, trio: Trio
) -> None:
    async with one_call_at_a_time(settings, trio) as gw:
        group = await one_service_each(gw)
        members = await ranked(gw, group)
        on_add(
            trio.sims[members[0]], FaultKind.ERROR, count=None, text="Not enough funds on balance"
        )
        second = trio.sims[members[1]]
        on_add(second, FaultKind.HOLD)
        sending = asyncio.create_task(gw.place("c", group.id, fields_for(group, 1)))
        await until(lambda: second.panel.calls["add"] == 1)
        waiting = asyncio.create_task(gw.place("c", group.id, fields_for(group, 2)))
        await until_routed(gw, 2, members[1])
        # Judged dead while it waits for the next member's only slot (a slow database, say).
        settled = await gw.orders.settle_interrupted(timedelta(0))
        assert [r.state for r in settled] == [GatewayState.UNCONFIRMED, GatewayState.FAILED]
        second.faults.release()
        placed, never = await sending, await waiting
    assert placed.state == OrderState.PENDING, "the late answer settles the first"
    assert never.state == GatewayState.FAILED
    assert never.error == NOT_SENT
    assert second.panel.calls["add"] == 1, "the second never left, nor went elsewhere"
    assert trio.sims[members[2]].panel.calls["add"] == 0


@pytest.mark.parametrize("held", [0, -1], ids=["then-next-member", "last-member"])
async def test_refusals_settle_an_order_marked_unconfirmed_meanwhile(
    gw: Gateway, trio: Trio, held: int
) -> None:
    group = await one_service_each(gw)
    members = await ranked(gw, group)
    for sim in trio.sims.values():
        on_add(sim, FaultKind.ERROR, count=None, text="Not enough funds on balance")
    on_add(trio.sims[members[held]], FaultKind.HOLD)
    placing = asyncio.create_task(gw.place("c", group.id, fields_for(group)))
    await until(lambda: trio.sims[members[held]].panel.calls["add"] >= 1)
    [marked] = await gw.orders.settle_interrupted(timedelta(0))
    assert marked.state == GatewayState.UNCONFIRMED
    trio.sims[members[held]].faults.release()
    order = await placing
    assert order.state == GatewayState.FAILED, "every answer proved it was not placed"
    tried = members if held == -1 else members[:1]
    assert [a["provider"] for a in order.attempts] == tried
    assert sum(trio.calls("add").values()) == len(tried), "nothing sent once it was settled"


async def test_an_ambiguous_answer_after_the_order_was_marked_unconfirmed_keeps_its_text(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    first = (await ranked(gw, group))[0]
    on_add(trio.sims[first], FaultKind.HTTP_5XX, status=502)
    on_add(trio.sims[first], FaultKind.HOLD)
    placing = asyncio.create_task(gw.place("c", group.id, fields_for(group)))
    await until(lambda: trio.sims[first].panel.calls["add"] == 1)
    [marked] = await gw.orders.settle_interrupted(timedelta(0))
    assert marked.error == INTERRUPTED
    trio.sims[first].faults.release()
    order = await placing
    assert order.state == GatewayState.UNCONFIRMED
    assert "HTTP 502" in (order.error or ""), "the provider's answer is kept"
    assert [a["error"] for a in order.attempts] == ["Ambiguous"]
    assert trio.calls("add") == {name: int(name == first) for name in trio.sims}
    queued = [e.type for e in await gw.store.pending_outbox(100)]
    assert queued.count("order.unconfirmed") == 1, "announced once"


async def test_a_late_answer_never_reopens_an_account_order_resolved_not_placed(
    gw: Gateway, trio: Trio
) -> None:
    prices = PriceList(markup_percent=Decimal(20)).model_dump(mode="json")
    shop = await gw.store.create_account("shop", currency=gw.base_currency, price_list=prices)
    await gw.store.top_up(shop.id, Decimal(100), reason="test funds")
    group = await shared_group(gw)
    first = (await ranked(gw, group))[0]
    on_add(trio.sims[first], FaultKind.HOLD)
    placing = asyncio.create_task(gw.place("shop", group.id, fields_for(group), account=shop))
    await until(lambda: trio.sims[first].panel.calls["add"] == 1)
    [marked] = await gw.orders.settle_interrupted(timedelta(0))
    assert marked.state == GatewayState.UNCONFIRMED
    resolved = await gw.orders.resolve(marked.id, not_placed=True, by="cli:ops")
    assert (resolved.state, resolved.client_charge) == (GatewayState.FAILED, Decimal(0))
    trio.sims[first].faults.release()
    order = await placing
    assert trio.sims[first].panel.order_count == 1
    pid = panel_order_id(trio, first)
    assert order.state == GatewayState.FAILED, "the client was refunded: it stays failed"
    assert order.client_charge == Decimal(0)
    assert order.provider_order_id is None
    assert order.flags == [PLACED_AFTER_SETTLEMENT], "the operator must see it"
    assert order.attempts[-1]["provider"] == first
    assert pid in order.attempts[-1]["message"]
    history = await gw.store.order_events(order.id)
    assert history[-1].kind == "placed_late"
    assert (history[-1].from_state, history[-1].to_state) == ("FAILED", "FAILED")
    assert history[-1].data is not None
    assert history[-1].data == {"provider": first, "provider_order_id": pid}
    account = await gw.store.account_by_id(shop.id)
    assert account is not None
    assert (account.balance, account.held) == (Decimal(100), Decimal(0))
    assert await gw.store.ledger_problems() == []
