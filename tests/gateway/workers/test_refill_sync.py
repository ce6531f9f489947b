"""Refill sync: due refills polled with back-off, new ones never starved by old ones, an error
about a refill ends it with the panel's text, an unrecognised status stays open."""

from __future__ import annotations

import asyncio

from gateway.config import Settings
from gateway.core import Gateway
from gateway.workers import Backoff, RefillSync
from providers.models import RefillState
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.transports import Switchboard, open_switched_gateway
from tests.gateway.workers.helpers import Now, insert_orders, place_upstream


async def seeded_refills(
    gw: Gateway, trio: Trio, now: Now, count: int, state: str = "PENDING"
) -> list[int]:
    """Open refills of alpha orders that the panel has never heard of, due at `now`."""
    pids = place_upstream(trio.sims["alpha"], count, tag=state)
    orders = await insert_orders(gw.store, "alpha", pids)
    made = [
        await gw.store.create_refill(order_id, "alpha", f"99{state}{n}", state=state)
        for n, order_id in enumerate(orders)
    ]
    now.at = max(now.at, *(r.created_at for r in made))
    return [r.id for r in made]


async def test_an_error_about_a_refill_ends_it_with_the_panel_text(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    pending = await seeded_refills(gw, trio, now, 1)
    unknown = await seeded_refills(gw, trio, now, 1, "UNKNOWN")
    assert await RefillSync(gw.orders, clock=now).run() == 2, "an unrecognised status is polled"
    for refill in await gw.store.get_refills(pending + unknown):
        assert refill.state == RefillState.FAILED
        assert refill.error == "Refill not found"
        assert refill.next_poll_at is None
    assert await RefillSync(gw.orders, clock=now).run() == 0, "final: never polled again"


async def test_a_failed_call_is_retried_after_the_back_off(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    [refill_id] = await seeded_refills(gw, trio, now, 1)
    backoff = Backoff()
    trio.sims["alpha"].faults.add(Fault(FaultKind.HTTP_5XX, actions=frozenset({"refill_status"})))
    assert await RefillSync(gw.orders, backoff=backoff, clock=now).run() == 1
    [refill] = await gw.store.get_refills([refill_id])
    assert refill.state == RefillState.PENDING, "the panel said nothing about the refill"
    assert refill.next_poll_at == now() + backoff.retry
    assert await RefillSync(gw.orders, clock=now).run() == 0, "not due before the retry"

    trio.sims["alpha"].faults.clear()
    now.advance(backoff.retry.total_seconds())
    assert await RefillSync(gw.orders, clock=now).run() == 1
    [refill] = await gw.store.get_refills([refill_id])
    assert refill.state == RefillState.FAILED


async def test_old_open_refills_do_not_starve_new_ones(gw: Gateway, trio: Trio, now: Now) -> None:
    ids = await seeded_refills(gw, trio, now, 3)
    trio.sims["alpha"].faults.add(Fault(FaultKind.HTTP_5XX, actions=frozenset({"refill_status"})))
    sync = RefillSync(gw.orders, limit=1, batch=1, clock=now)
    assert [await sync.run() for _ in range(4)] == [1, 1, 1, 0]
    polled = await gw.store.get_refills(ids)
    assert all(r.next_poll_at is not None for r in polled), "each of them had its turn"
    assert all(r.state == RefillState.PENDING for r in polled)


async def test_an_unrecognised_refill_status_stays_open_and_is_polled_with_back_off(
    settings: Settings, trio: Trio, now: Now
) -> None:
    board = Switchboard()
    # A status no table knows, nor an error text: the panel said something about the refill.
    board.answer("refill_status", {"status": "Waiting for moderation"})
    async with open_switched_gateway(settings, trio, {"alpha": board}) as gw:
        [refill_id] = await seeded_refills(gw, trio, now, 1)
        backoff = Backoff()
        assert await RefillSync(gw.orders, backoff=backoff, clock=now).run() == 1
        [refill] = await gw.store.get_refills([refill_id])
        assert refill.state == RefillState.UNKNOWN, "open: never ended on a text not known"
        assert refill.status_raw == "Waiting for moderation"
        assert refill.error is None
        assert refill.next_poll_at == backoff.next_poll(refill.created_at, now())
        assert await RefillSync(gw.orders, clock=now).run() == 0, "not due before its turn"
        assert refill.next_poll_at is not None
        first_wait = refill.next_poll_at - now()

        now.advance(86400)  # a day on: still unrecognised, polled again, and rarely
        assert await RefillSync(gw.orders, backoff=backoff, clock=now).run() == 1
        [again] = await gw.store.get_refills([refill_id])
        assert again.state == RefillState.UNKNOWN
        assert again.next_poll_at == backoff.next_poll(again.created_at, now())
        assert again.next_poll_at is not None
        assert again.next_poll_at - now() > first_wait, "the wait grows with the refill's age"
    assert board.answered["refill_status"] == 2


async def test_refill_syncs_of_two_gateways_at_once_poll_each_refill_once(
    gw: Gateway, settings: Settings, trio: Trio, now: Now
) -> None:
    """Gateways of a fleet run the refill sync on the same schedule (started together, their
    periodic jobs line up): each due refill is polled by one of them, one panel call."""
    refills = await seeded_refills(gw, trio, now, 5)
    before = trio.calls("refill_status")["alpha"]
    boards = {"alpha": Switchboard()}
    async with open_switched_gateway(settings, trio, boards) as other:
        boards["alpha"].hold("refill_status")
        first = asyncio.create_task(RefillSync(other.orders, clock=now).run())
        await boards["alpha"].arrived.wait()  # the other gateway's poll is on the way
        second = await RefillSync(gw.orders, clock=now).run()
        boards["alpha"].release()
        assert (await first, second) == (5, 0)
    assert trio.calls("refill_status")["alpha"] - before == 1
    assert all(r.state == RefillState.FAILED for r in await gw.store.get_refills(refills))
