"""Drip-feed emulation, over simulated panels on loopback HTTP, on SQLite and PostgreSQL: a
drip-feed no member offers becomes one client order whose runs the gateway places itself, one
every `interval` minutes, scheduled in the ledger (a worker started after another stopped picks
up where it left off, and a run claimed by a worker that died is launched once its lease runs
out); a cancel stops the runs left; an account's hold covers every run and is settled exactly.
The account ledger is checked after every scenario."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.accounts.pricing import round_up
from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders.drip import run_fields
from gateway.orders.drip_replace import RUN_ATTEMPTS
from gateway.routing import Exclusion, Need
from gateway.store import GatewayState, OrderRow
from gateway.workers.drip import ChildOrders
from providers.models import OrderState
from providers.simulator import ManualClock, QualityPlan, simulator
from tests.gateway.panels import Trio, open_gateway, trio_settings
from tests.gateway.syncing import sync_statuses
from tests.gateway.test_account_placement import fresh, open_account

FORTNIGHT = 14 * 24 * 3600
NEEDS = frozenset({Need.CANCEL})


@pytest.fixture
def trio() -> Iterator[Trio]:
    """Three panels that say which services offer drip-feed (the ``sloppy`` profile), and
    deliver in full unless a test says otherwise."""
    with ExitStack() as stack:
        clock = ManualClock()
        sims = {
            name: stack.enter_context(
                simulator(seed=seed, services=300, profile="sloppy", currency="USD",
                          balance="100000", clock=clock, quality=QualityPlan.of("perfect"))
            )
            for name, seed in (("alpha", 21), ("beta", 22), ("gamma", 23))
        }  # fmt: skip
        yield Trio(sims, clock)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    base = trio_settings(trio, database_url, redis_url, namespace)
    sloppy = [p.model_copy(update={"profile": "sloppy", "currency": "USD"}) for p in base.providers]
    return base.model_copy(update={"providers": sloppy})


@pytest.fixture
async def restarted(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    """Another gateway process on the same ledger: the worker started after a restart."""
    async with open_gateway(settings, trio) as gateway:
        yield gateway


async def no_drip_group(gw: Gateway) -> Group:
    """A group none of whose members offers drip-feed, with cancel."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: (-len(g.members), g.id)):
        services = [m.service for m in group.members]
        if all(s.dripfeed is False and s.cancel for s in services):
            return group
    raise AssertionError("no group without drip-feed")


def drip(group: Group, runs: int, interval: int = 10, n: int = 0) -> dict[str, object]:
    quantity = max(m.service.min for m in group.members)
    link = f"https://instagram.com/p/drip{n}"
    return {"link": link, "quantity": quantity, "runs": runs, "interval": interval}


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def worker(gw: Gateway, at: datetime) -> ChildOrders:
    """The child-orders job of a worker whose clock says `at`."""
    return ChildOrders(gw, clock=lambda: at)


async def runs_of(gw: Gateway, order: OrderRow) -> list[OrderRow]:
    return (await gw.store.children_of([order.id])).get(order.id, [])


async def read(gw: Gateway, order: OrderRow) -> OrderRow:
    [outcome] = await gw.orders.status([order.id], "c")
    assert outcome.order is not None
    return outcome.order


async def assert_ledger(gw: Gateway) -> None:
    assert await gw.store.ledger_problems() == []


async def test_a_drip_feed_no_member_offers_is_run_by_the_gateway(gw: Gateway, trio: Trio) -> None:
    group = await no_drip_group(gw)
    fields = drip(group, runs=3)
    decision = await gw.quote(group.id, fields)
    assert decision.chosen is None
    assert {e.reason for e in decision.excluded} >= {Exclusion.NO_DRIPFEED}
    order = await gw.place("c", group.id, fields, needs=NEEDS)
    quantity = int(str(fields["quantity"]))
    assert order.plan is not None
    assert (order.plan["kind"], order.plan["runs"], order.plan["launched"]) == ("drip", 3, 1)
    assert order.next_run_at is not None
    [first] = await runs_of(gw, order)
    assert first.state == OrderState.PENDING
    assert first.request["quantity"] == quantity
    assert "runs" not in first.request, "each run is a plain order upstream"
    [upstream] = [o for s in trio.sims.values() for o in s.panel.orders()]
    assert (upstream.quantity, upstream.runs) == (quantity, 1)
    shown = await read(gw, order)
    assert (shown.state, shown.remains) == (OrderState.PENDING, 3 * quantity)
    assert first.quoted_cost is not None
    assert shown.quoted_cost == first.quoted_cost * 3, "quoted for every run"
    # Not due yet: nothing launched.
    await worker(gw, later(1)).run()
    assert len(await runs_of(gw, order)) == 1
    await assert_ledger(gw)


async def test_runs_are_launched_when_due_across_a_worker_restart(
    gw: Gateway, restarted: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    order = await gw.place("c", group.id, drip(group, runs=3, n=1), needs=NEEDS)
    trio.advance(FORTNIGHT)  # each run is done before the next falls due
    await sync_statuses(gw)
    await worker(gw, later(11)).run()
    assert len(await runs_of(gw, order)) == 2
    second = await gw.store.get_order(order.id)
    assert second.plan is not None
    assert second.plan["launched"] == 2
    # The first worker stops; one started later reads the schedule from the ledger.
    trio.advance(FORTNIGHT)
    await sync_statuses(restarted)
    await worker(restarted, later(15)).run()
    assert len(await runs_of(gw, order)) == 2, "the third run is not due yet"
    await worker(restarted, later(22)).run()
    runs = await runs_of(restarted, order)
    assert len(runs) == 3
    assert [r.state for r in runs] == [OrderState.COMPLETED] * 2 + [OrderState.PENDING]
    assert sum(1 for s in trio.sims.values() for _ in s.panel.orders()) == 3
    after = await restarted.store.get_order(order.id)
    assert after.next_run_at is None, "no run left"
    await worker(restarted, later(60)).run()
    assert len(await runs_of(gw, order)) == 3, "never launched twice"
    trio.advance(FORTNIGHT)
    await sync_statuses(restarted)
    await restarted.orders.reconcile_parents()
    done = await read(restarted, order)
    assert (done.state, done.remains) == (OrderState.COMPLETED, 0)
    assert done.start_count == runs[0].start_count
    kinds = [e.kind for e in await restarted.store.order_events(order.id)]
    assert kinds.count("run") == 2
    await assert_ledger(gw)


async def test_a_run_claimed_by_a_worker_that_died_is_launched_after_its_lease(
    gw: Gateway, restarted: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    order = await gw.place("c", group.id, drip(group, runs=2, n=2), needs=NEEDS)
    claimed = await gw.store.claim_due_runs(now=later(11), lease=timedelta(minutes=5))
    assert [r.id for r in claimed] == [order.id]
    # That worker died before launching the run: nobody else may until the lease runs out.
    await worker(restarted, later(12)).run()
    assert len(await runs_of(gw, order)) == 1
    trio.advance(FORTNIGHT)
    await sync_statuses(restarted)
    await worker(restarted, later(17)).run()
    assert len(await runs_of(gw, order)) == 2
    await assert_ledger(gw)


async def test_cancel_stops_the_runs_left_and_the_hold_is_settled_exactly(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, drip(group, runs=4, n=3), account=shop, needs=NEEDS)
    quantity = int(order.request["quantity"])
    assert order.client_price is not None
    assert order.client_rate is not None
    assert order.client_price >= order.client_rate * 4 * quantity / 1000, "held for every run"
    assert (await fresh(gw, shop)).held == order.client_price
    trio.advance(FORTNIGHT)  # the first run completes
    await sync_statuses(gw)
    [canceled] = await gw.orders.cancel([order.id], "shop")
    assert canceled.error is None, "the runs left were stopped"
    stopped = await gw.store.get_order(order.id)
    assert stopped.plan is not None
    assert stopped.plan["stopped"] is True
    assert stopped.next_run_at is None
    await worker(gw, later(120)).run()
    assert len(await runs_of(gw, order)) == 1, "no run after the cancel"
    await gw.orders.reconcile_parents()
    done = await gw.store.get_order(order.id)
    assert (done.state, done.remains) == (OrderState.PARTIAL, 3 * quantity)
    run_price = round_up(order.client_rate * quantity / 1000)
    assert order.client_price == 4 * run_price, "each run at its own price"
    assert done.client_charge == run_price, "the three runs stopped are refunded whole"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000) - done.client_charge, Decimal(0))
    await assert_ledger(gw)


async def test_a_cancel_before_any_delivery_cancels_the_whole_order(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="10")
    order = await gw.place("shop", group.id, drip(group, runs=3, n=4), account=shop, needs=NEEDS)
    [canceled] = await gw.orders.cancel([order.id], "shop")
    assert canceled.error is None
    assert sum(trio.calls("cancel").values()) == 1, "the launched run is canceled upstream"
    trio.advance(60)
    await sync_statuses(gw)
    await worker(gw, later(60)).run()
    assert len(await runs_of(gw, order)) == 1
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.CANCELED
    assert done.client_charge == 0
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000), Decimal(0))
    await assert_ledger(gw)


async def test_a_run_waits_for_the_run_before_it(gw: Gateway, trio: Trio) -> None:
    group = await no_drip_group(gw)
    order = await gw.place("c", group.id, drip(group, runs=2, n=5), needs=NEEDS)
    await worker(gw, later(11)).run()
    assert len(await runs_of(gw, order)) == 1, "the first run is still open"
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    await worker(gw, later(11.5)).run()
    assert len(await runs_of(gw, order)) == 1, "tried again a minute later"
    await worker(gw, later(12.5)).run()
    first, second = await runs_of(gw, order)
    assert first.state == OrderState.COMPLETED
    assert second.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 2, "no add refused for an active link"
    await assert_ledger(gw)


async def test_a_later_run_never_goes_to_a_member_its_run_price_loses_money_on(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    fields = drip(group, runs=2, n=6)
    one_run = {k: v for k, v in fields.items() if k not in ("runs", "interval")}
    ranked = (await gw.quote(group.id, one_run)).candidates
    cheapest = ranked[0]
    assert any(c.cost.amount > cheapest.cost.amount for c in ranked[1:]), "dearer members"
    shop = await open_account(gw, "1000", markup_percent="0")  # the cheapest's cost, no more
    order = await gw.place("shop", group.id, fields, account=shop, needs=NEEDS)
    quantity = int(order.request["quantity"])
    run_price = round_up(round_up(cheapest.offer.rate) * quantity / 1000)
    assert order.client_price == 2 * run_price, "held for every run at one run's price"
    [first] = await runs_of(gw, order)
    assert first.provider == cheapest.offer.provider
    trio.advance(FORTNIGHT)  # the first run completes
    await sync_statuses(gw)
    trio.sims[cheapest.offer.provider].stop()
    adds = trio.calls("add")
    at = 11.0
    while (await gw.store.get_order(order.id)).next_run_at is not None and at < 60:
        # Not placed (the stopped panel refuses connections, the others lose money): tried
        # again a minute later, a bounded number of times.
        await worker(gw, later(at)).run()
        gw.health.success(cheapest.offer.provider)  # its cooldown over
        at += 1.5
    _, *tries = await runs_of(gw, order)
    assert len(tries) == RUN_ATTEMPTS
    assert {t.state for t in tries} == {GatewayState.FAILED}, "no member keeps the margin"
    assert trio.calls("add") == adds, "nothing placed at a loss"
    await gw.orders.reconcile_parents()
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.PARTIAL
    assert done.error is not None
    assert "run 2 was not placed" in done.error
    assert done.client_charge == run_price, "the run not placed is refunded"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000) - run_price, Decimal(0))
    await assert_ledger(gw)


async def test_a_cancel_while_a_run_is_being_launched_sends_nothing(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, drip(group, runs=2, n=7), account=shop, needs=NEEDS)
    assert order.client_price is not None
    trio.advance(FORTNIGHT)  # the first run completes
    await sync_statuses(gw)
    # The worker records the second run (in the ledger, not sent yet) as the client cancels.
    [claimed] = await gw.store.claim_due_runs(now=later(11), lease=timedelta(minutes=5))
    snapshot = await gw.catalog.snapshot()
    decision = await gw.orders.quote(snapshot, group.id, run_fields(order.request), NEEDS)
    launched = await gw.orders._record_run(claimed, decision, later(11))
    assert launched is not None
    run, _ = launched
    assert run.state == GatewayState.RECEIVED
    adds = trio.calls("add")
    [canceled] = await gw.orders.cancel([order.id], "shop")
    assert canceled.error is None
    sent = await gw.orders._send(run, decision)  # the worker goes on sending it
    assert sent.state == GatewayState.FAILED
    assert sent.provider_order_id is None
    assert trio.calls("add") == adds, "the run canceled before it left is never sent"
    await gw.orders.reconcile_parents()
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.PARTIAL
    assert done.client_charge == order.client_price / 2, "the run never sent is refunded"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000) - done.client_charge, Decimal(0))
    await assert_ledger(gw)
