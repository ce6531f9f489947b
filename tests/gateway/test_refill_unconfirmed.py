"""A refill ask whose answer was lost (dropped connection, timeout, 5xx after sending) is
recorded as unconfirmed, never as failed, and the order is not asked again until an operator
settles it. Simulated panels over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.orders import InvalidResolution, NotUnconfirmedRefill, RefillUnknown
from gateway.orders.followups import CLAIM_TTL, STOPPED
from gateway.routing import Need
from gateway.store import OrderRow, RefillRow
from gateway.store.refills import ABANDONED, REFILL_UNCONFIRMED
from gateway.workers import standard_jobs
from gateway.workers.broadcast import LocalBroadcast
from providers.simulator import Fault, FaultKind
from providers.simulator.render import Renderer
from tests.gateway.panels import Trio, shared_group
from tests.gateway.syncing import sync_statuses
from tests.gateway.workers.helpers import eventually


async def refillable(gw: Gateway, trio: Trio, n: int) -> OrderRow:
    """A completed order of a refill service, old enough for the panel to refill it."""
    group = await shared_group(gw, refill=True, cancel=True)
    quantity = max(m.service.min for m in group.members)
    fields = {"link": f"https://instagram.com/p/r{n}", "quantity": quantity}
    order = await gw.place("c", group.id, fields, needs=frozenset({Need.REFILL}))
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    return order


def lose_refill_answer(trio: Trio, order: OrderRow, kind: FaultKind) -> None:
    """The panel's next refill call is processed (where `kind` does) and its answer lost."""
    params = {"seconds": 30} if kind is FaultKind.TIMEOUT else {}
    rule = Fault(kind, actions=frozenset({"refill"}), count=1, params=params)
    trio.sims[order.provider or ""].faults.add(rule)


def refill_calls(trio: Trio, order: OrderRow) -> int:
    return trio.sims[order.provider or ""].panel.calls["refill"]


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.HTTP_5XX, FaultKind.TIMEOUT])
async def test_a_lost_refill_answer_is_unconfirmed_and_the_order_is_not_asked_again(
    gw: Gateway, trio: Trio, kind: FaultKind
) -> None:
    order = await refillable(gw, trio, 1)
    lose_refill_answer(trio, order, kind)
    before = refill_calls(trio, order)

    [first] = await gw.orders.refill([order.id], "c")
    assert first.refill is not None, first
    assert first.refill.state == REFILL_UNCONFIRMED
    assert first.error is None
    assert "outcome unknown" in (first.refill.error or ""), "the reason, for the operator"

    [again] = await gw.orders.refill([order.id], "c")
    assert again.refill is not None
    assert again.refill.id == first.refill.id, "the unconfirmed refill is returned"
    assert refill_calls(trio, order) - before == 1, "never asked of the panel twice"
    [stored] = await gw.store.refills_for_orders([order.id])
    assert stored.state == REFILL_UNCONFIRMED


def upstream_refills(trio: Trio, order: OrderRow) -> list[str]:
    """The refill ids the panel's own list shows for the order."""
    sim = trio.sims[order.provider or ""]
    number = Renderer(sim.profile, salt=str(sim.panel.seed)).order_ids.decode(
        order.provider_order_id
    )
    assert number is not None
    return [str(i) for i in sim.panel.refills_of(number)]


async def unconfirmed(gw: Gateway, trio: Trio, n: int) -> tuple[OrderRow, RefillRow]:
    order = await refillable(gw, trio, n)
    lose_refill_answer(trio, order, FaultKind.DROP)
    [asked] = await gw.orders.refill([order.id], "c")
    assert asked.refill is not None
    return order, asked.refill


async def test_a_refill_resolved_as_made_is_followed_with_the_panel_id(
    gw: Gateway, trio: Trio
) -> None:
    order, refill = await unconfirmed(gw, trio, 2)
    [pid] = upstream_refills(trio, order)
    resolved = await gw.orders.resolve_refill(refill.id, provider_refill_id=pid, by="cli:ops")
    assert (resolved.state, resolved.provider_refill_id, resolved.error) == ("PENDING", pid, None)
    assert resolved.next_poll_at is not None, "polled from now on"
    [status] = await gw.orders.refill_status([refill.id], "c")
    assert status.refill is not None
    assert status.refill.state in ("PENDING", "IN_PROGRESS", "COMPLETED", "REJECTED")
    history = [e for e in await gw.store.order_events(order.id) if e.kind == "refill_resolved"]
    assert history[0].data == {
        "refill": refill.id, "by": "cli:ops", "outcome": "made", "provider_refill_id": pid
    }  # fmt: skip
    with pytest.raises(NotUnconfirmedRefill) as again:
        await gw.orders.resolve_refill(refill.id, not_made=True, by="cli:ops")
    assert again.value.message == (
        f"refill {refill.id} is PENDING, not UNCONFIRMED: only an unconfirmed refill can be "
        "resolved"
    )


async def test_a_refill_resolved_as_not_made_fails_and_the_order_may_be_asked_again(
    gw: Gateway, trio: Trio
) -> None:
    order = await refillable(gw, trio, 3)
    # A 5xx from a panel that did nothing: the operator finds no refill in its list.
    lose_refill_answer(trio, order, FaultKind.HTTP_5XX)
    [asked] = await gw.orders.refill([order.id], "c")
    assert asked.refill is not None
    assert upstream_refills(trio, order) == []
    resolved = await gw.orders.resolve_refill(asked.refill.id, not_made=True, by="cli:ops")
    assert resolved.state == "FAILED"
    assert resolved.error == f"not made at {order.provider} (resolved by cli:ops)"
    before = refill_calls(trio, order)
    [later] = await gw.orders.refill([order.id], "c")
    assert later.refill is not None
    assert later.refill.id != asked.refill.id
    assert later.refill.state == "PENDING"
    assert refill_calls(trio, order) - before == 1


async def test_a_made_resolution_is_checked_with_the_panel(gw: Gateway, trio: Trio) -> None:
    order, refill = await unconfirmed(gw, trio, 4)
    with pytest.raises(InvalidResolution) as unknown:
        await gw.orders.resolve_refill(refill.id, provider_refill_id="999999", by="cli:ops")
    assert unknown.value.code == "PROVIDER_REFILL_UNKNOWN"
    assert unknown.value.message == (
        f"{order.provider} does not know refill 999999; check the id, or force it (--force) "
        "to record it unchecked"
    )
    with pytest.raises(InvalidResolution) as bad:
        await gw.orders.resolve_refill(refill.id, provider_refill_id="1,2", by="cli:ops")
    assert bad.value.message == "a provider refill id is 1 to 100 letters, digits or _.:-"
    with pytest.raises(InvalidResolution) as neither:
        await gw.orders.resolve_refill(refill.id, by="cli:ops")
    assert neither.value.message == "give exactly one: the provider refill id, or not made"
    with pytest.raises(RefillUnknown):
        await gw.orders.resolve_refill(refill.id + 100, not_made=True, by="cli:ops")
    [still] = await gw.store.get_refills([refill.id])
    assert still.state == REFILL_UNCONFIRMED
    forced = await gw.orders.resolve_refill(
        refill.id, provider_refill_id="999999", force=True, by="cli:ops"
    )
    assert forced.provider_refill_id == "999999"


async def test_a_refill_request_stopped_while_the_panel_is_asked_is_unconfirmed(
    gw: Gateway, trio: Trio
) -> None:
    order = await refillable(gw, trio, 5)
    sim = trio.sims[order.provider or ""]
    sim.faults.add(Fault(FaultKind.HOLD, actions=frozenset({"refill"}), count=1))
    before = refill_calls(trio, order)
    asking = asyncio.create_task(gw.orders.refill([order.id], "c"))
    await eventually(lambda: refill_calls(trio, order) - before == 1)
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    sim.faults.release()
    [stored] = await gw.store.refills_for_orders([order.id])
    assert (stored.state, stored.error) == (REFILL_UNCONFIRMED, STOPPED)
    assert STOPPED == "the request was stopped before the panel answered; outcome unknown"
    [again] = await gw.orders.refill([order.id], "c")
    assert again.refill is not None
    assert again.refill.id == stored.id
    assert refill_calls(trio, order) - before == 1, "never asked of the panel twice"


async def test_a_claim_left_by_a_requester_that_died_becomes_unconfirmed(
    gw: Gateway, trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await refillable(gw, trio, 6)
    claim = await gw.store.create_refill(order.id, order.provider or "", None)
    later = claim.created_at + CLAIM_TTL + timedelta(seconds=1)
    monkeypatch.setattr(gw.orders, "clock", lambda: later)
    before = refill_calls(trio, order)
    [asked] = await gw.orders.refill([order.id], "c")
    assert asked.refill is not None
    assert (asked.refill.id, asked.refill.state) == (claim.id, REFILL_UNCONFIRMED)
    assert asked.refill.error == ABANDONED
    assert refill_calls(trio, order) == before, "the panel may have been asked: not again"


async def test_the_worker_names_unconfirmed_refills_for_an_operator(
    gw: Gateway, trio: Trio, caplog: pytest.LogCaptureFixture
) -> None:
    order = await refillable(gw, trio, 7)
    lose_refill_answer(trio, order, FaultKind.HTTP_5XX)
    [asked] = await gw.orders.refill([order.id], "c")
    assert asked.refill is not None
    jobs = {j.name: j for j in standard_jobs(gw, LocalBroadcast(EventBus()))}
    with caplog.at_level(logging.WARNING, logger="gateway.workers.standard"):
        assert await jobs["unconfirmed"].run(None) == 1
    assert (
        "refills with an unknown outcome, their orders not asked again, to resolve: "
        f"{asked.refill.id}"
    ) in caplog.messages
    secret = trio.sims[order.provider or ""].key or ""
    assert secret
    assert not any(secret in m for m in caplog.messages), "the panel key is never logged"


async def test_a_provider_refill_id_another_refill_has_is_refused_even_forced(
    gw: Gateway, trio: Trio
) -> None:
    order, refill = await unconfirmed(gw, trio, 8)
    [pid] = upstream_refills(trio, order)
    await gw.orders.resolve_refill(refill.id, provider_refill_id=pid, by="cli:ops")
    other_order = await refillable(gw, trio, 9)
    if other_order.provider != order.provider:
        pytest.skip("the second order went to another panel")
    lose_refill_answer(trio, other_order, FaultKind.HTTP_5XX)
    [other] = await gw.orders.refill([other_order.id], "c")
    assert other.refill is not None
    with pytest.raises(InvalidResolution) as in_use:
        await gw.orders.resolve_refill(
            other.refill.id, provider_refill_id=pid, force=True, by="cli:ops"
        )
    assert in_use.value.code == "PROVIDER_REFILL_IN_USE"
    assert in_use.value.message == (
        f"{order.provider} refill {pid} is already refill {refill.id}'s; check the id"
    )
