"""A drip-feed's run that failed with proof that nothing was placed (every member refused it:
a link busy, no funds, connection refused) is replaced: tried again a minute later, up to
`RUN_ATTEMPTS` times, instead of leaving the client order short of a run; once those are spent
the runs left are stopped with a reason, refunded exactly. A run whose outcome is unknown is
never tried again. Over simulated panels on loopback HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from gateway.accounts.pricing import round_up
from gateway.core import Gateway
from gateway.orders.drip_replace import RUN_ATTEMPTS
from gateway.store import GatewayState, OrderRow
from providers.models import OrderState
from providers.simulator.faults import Fault, FaultKind
from tests.gateway import test_drip_emulation as emulation
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.test_account_placement import fresh, open_account
from tests.gateway.test_drip_emulation import (
    FORTNIGHT,
    NEEDS,
    assert_ledger,
    drip,
    later,
    no_drip_group,
    runs_of,
    worker,
)

trio = emulation.trio
settings = emulation.settings

BUSY = "You have active order with this link. Please wait until order being completed."


def refuse_adds(trio: Trio, kind: FaultKind = FaultKind.ERROR) -> None:
    """Every panel fails every `add`: by default with a text that proves nothing was placed."""
    params = {"text": BUSY} if kind is FaultKind.ERROR else {}
    for sim in trio.sims.values():
        sim.faults.add(Fault(kind, actions=frozenset({"add"}), params=params))


def take_adds(trio: Trio) -> None:
    for sim in trio.sims.values():
        sim.faults.clear()


def placed(trio: Trio) -> int:
    return sum(1 for s in trio.sims.values() for _ in s.panel.orders())


async def settled(gw: Gateway, order: OrderRow) -> OrderRow:
    await gw.orders.reconcile_parents()
    return await gw.store.get_order(order.id)


async def test_a_run_refused_everywhere_is_placed_again_and_the_drip_is_whole(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, drip(group, runs=3, n=30), account=shop, needs=NEEDS)
    quantity = int(order.request["quantity"])
    trio.advance(FORTNIGHT)  # the first run completes
    await sync_statuses(gw)
    refuse_adds(trio)
    await worker(gw, later(11)).run()
    _, refused = await runs_of(gw, order)
    assert refused.state == GatewayState.FAILED
    assert refused.provider_order_id is None
    waiting = await gw.store.get_order(order.id)
    assert waiting.plan is not None
    assert waiting.plan["launched"] == 1, "the refused run is to be launched again"
    assert waiting.plan["replaced"] == [[refused.id, 2]]
    assert waiting.state not in (OrderState.PARTIAL, GatewayState.FAILED)
    assert waiting.next_run_at is not None
    assert waiting.next_run_at <= later(12.1), "tried again a minute later"
    assert waiting.remains == 2 * quantity, "the refused run counts once, as not launched"
    take_adds(trio)
    await worker(gw, later(12.5)).run()
    runs = await runs_of(gw, order)
    assert len(runs) == 3
    assert runs[-1].state == OrderState.PENDING
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    await worker(gw, later(23)).run()
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    done = await settled(gw, order)
    assert placed(trio) == 3
    assert (done.state, done.remains) == (OrderState.COMPLETED, 0)
    assert done.error is None
    assert done.client_charge == order.client_price, "every run delivered and charged"
    after = await fresh(gw, shop)
    assert order.client_price is not None
    assert (after.balance, after.held) == (Decimal(1000) - order.client_price, Decimal(0))
    kinds = [e.kind for e in await gw.store.order_events(order.id)]
    assert kinds.count("run_replaced") == 1
    await assert_ledger(gw)


async def test_a_first_run_refused_at_placement_is_launched_again(gw: Gateway, trio: Trio) -> None:
    group = await no_drip_group(gw)
    refuse_adds(trio)
    order = await gw.place("c", group.id, drip(group, runs=2, n=31), needs=NEEDS)
    [refused] = await runs_of(gw, order)
    assert refused.state == GatewayState.FAILED
    assert order.state == OrderState.PENDING, "not failed: the run is launched again"
    assert order.plan is not None
    assert order.plan["launched"] == 0
    take_adds(trio)
    await worker(gw, later(1.5)).run()
    _, first = await runs_of(gw, order)
    assert first.state == OrderState.PENDING
    assert placed(trio) == 1
    await assert_ledger(gw)


async def test_a_run_refused_every_time_stops_the_drip_with_a_reason_and_an_exact_refund(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, drip(group, runs=4, n=32), account=shop, needs=NEEDS)
    quantity = int(order.request["quantity"])
    assert order.client_rate is not None
    run_price = round_up(order.client_rate * quantity / 1000)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    refuse_adds(trio)
    at = 11.0
    for _ in range(RUN_ATTEMPTS + 2):
        await worker(gw, later(at)).run()
        at += 1.5
    runs = await runs_of(gw, order)
    assert len(runs) == 1 + RUN_ATTEMPTS, "the run tried RUN_ATTEMPTS times, no more"
    assert placed(trio) == 1
    done = await settled(gw, order)
    assert done.plan is not None
    assert done.plan["stopped"] is True
    assert done.next_run_at is None
    assert (done.state, done.remains) == (OrderState.PARTIAL, 3 * quantity)
    assert done.error is not None
    assert f"run 2 was not placed in {RUN_ATTEMPTS} attempts" in done.error
    assert done.client_charge == run_price, "only the delivered run is charged"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000) - run_price, Decimal(0))
    await worker(gw, later(at + 60)).run()
    assert len(await runs_of(gw, order)) == 1 + RUN_ATTEMPTS
    await assert_ledger(gw)


async def test_a_run_with_an_unknown_outcome_is_never_placed_again(gw: Gateway, trio: Trio) -> None:
    group = await no_drip_group(gw)
    order = await gw.place("c", group.id, drip(group, runs=2, n=33), needs=NEEDS)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    refuse_adds(trio, FaultKind.DROP)  # placed, then the answer is lost
    await worker(gw, later(11)).run()
    _, unknown = await runs_of(gw, order)
    assert unknown.state == GatewayState.UNCONFIRMED
    adds = sum(trio.calls("add").values())
    take_adds(trio)
    await worker(gw, later(12.5)).run()
    await worker(gw, later(14)).run()
    assert len(await runs_of(gw, order)) == 2
    assert sum(trio.calls("add").values()) == adds, "never sent again"
    parent = await gw.store.get_order(order.id)
    assert parent.plan is not None
    assert "replaced" not in parent.plan
    assert parent.plan["launched"] == 2
    await assert_ledger(gw)


async def test_a_last_run_left_unsent_by_a_stopped_process_is_launched_again(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, drip(group, runs=2, n=34), account=shop, needs=NEEDS)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    [claimed] = await gw.store.claim_due_runs(now=later(11), lease=timedelta(minutes=5))
    launched = await gw.orders._record_run(claimed, None, later(11))
    assert launched is not None  # recorded; the process stops before sending it
    assert (await gw.store.get_order(order.id)).next_run_at is None, "the last run"
    [gone] = await gw.orders.settle_interrupted(timedelta(0))
    assert gone.state == GatewayState.FAILED
    parent = await gw.store.get_order(order.id)
    assert parent.plan is not None
    assert parent.plan["replaced"] == [[gone.id, 2]]
    assert parent.next_run_at is not None, "due again"
    await worker(gw, later(2)).run()
    runs = await runs_of(gw, order)
    assert [r.state for r in runs] == [OrderState.COMPLETED, GatewayState.FAILED,
                                       OrderState.PENDING]  # fmt: skip
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    done = await settled(gw, order)
    assert (done.state, done.remains, done.error) == (OrderState.COMPLETED, 0, None)
    assert done.client_charge == order.client_price
    after = await fresh(gw, shop)
    assert order.client_price is not None
    assert (after.balance, after.held) == (Decimal(1000) - order.client_price, Decimal(0))
    await assert_ledger(gw)


async def test_a_cancel_while_a_replaced_run_waits_refunds_every_run(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    refuse_adds(trio)
    order = await gw.place("shop", group.id, drip(group, runs=3, n=35), account=shop, needs=NEEDS)
    assert order.plan is not None
    assert order.plan["launched"] == 0, "the first run waits to be launched again"
    take_adds(trio)
    [canceled] = await gw.orders.cancel([order.id], "shop")
    assert canceled.error is None, "the runs left were stopped"
    await worker(gw, later(5)).run()
    assert len(await runs_of(gw, order)) == 1, "nothing launched after the cancel"
    assert placed(trio) == 0
    done = await settled(gw, order)
    assert (done.state, done.client_charge) == (OrderState.CANCELED, Decimal(0))
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000), Decimal(0))
    await assert_ledger(gw)


async def test_a_replaced_run_is_not_one_of_the_orders_parts_and_says_it_was_replaced(
    gw: Gateway, trio: Trio
) -> None:
    """An operator reading a drip-feed's parts sees the runs that make it, not a FAILED run
    that was launched again; the replaced run itself, found in a listing of failed orders,
    says it was replaced and by which client order."""
    group = await no_drip_group(gw)
    refuse_adds(trio)
    order = await gw.place("c", group.id, drip(group, runs=2, n=33), needs=NEEDS)
    [refused] = await runs_of(gw, order)
    assert await gw.orders.children(order.id, "c") == [], "the refused run is not a part"
    replaced = await gw.store.get_order(refused.id)
    assert replaced.state == GatewayState.FAILED, "it did fail: its state stays"
    assert replaced.error is not None
    assert replaced.error.startswith(str(refused.error)), "its refusal is kept"
    assert f"replaced: order {order.id} launches its run again" in replaced.error
    history = await gw.store.order_events(refused.id)
    [entry] = [e for e in history if e.kind == "run_replaced"]
    assert entry.data == {"order": order.id, "run": 1, "attempt": 1}

    take_adds(trio)
    await worker(gw, later(1.5)).run()
    parts = await gw.orders.children(order.id, "c")
    assert [p.id for p in parts] == [r.id for r in await runs_of(gw, order)][1:]
    assert [p.state for p in parts] == [OrderState.PENDING]
    await assert_ledger(gw)
