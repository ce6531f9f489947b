"""Splitting, over three simulated panels on loopback HTTP, on SQLite and PostgreSQL: a quantity
above every member's maximum becomes one client order of child orders at different providers,
recorded before any provider call; the client reads one order (the aggregate) through
completion and partial; refill and cancel fan out; an ambiguous child leaves the others
proceeding; an account's hold is settled exactly from the children. The account ledger is
checked after every scenario."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from gateway.accounts.pricing import round_up
from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import OrderUnknown
from gateway.orders.split_status import UNCONFIRMED_PART
from gateway.rest.v2_accounts import client_charge as v2_charge
from gateway.rest.v2_shapes import status_entry
from gateway.routing import Need
from gateway.store import AccountRow, GatewayState, OrderRow
from providers.models import OrderState
from providers.simulator import Fault, FaultKind, QualityPlan
from tests.gateway.panels import Trio, open_gateway, shared_group
from tests.gateway.syncing import sync_statuses
from tests.gateway.test_account_placement import fresh, open_account, upstream_of

FORTNIGHT = 14 * 24 * 3600
NEEDS = frozenset({Need.REFILL, Need.CANCEL})


@pytest.fixture(autouse=True)
def perfect(trio: Trio) -> None:
    """Panels that deliver in full, so that a partial is the one a test makes."""
    for sim in trio.sims.values():
        sim.panel.quality = QualityPlan.of("perfect")


async def big_group(gw: Gateway) -> Group:
    """A group offered by the three panels, with refill and cancel."""
    return await shared_group(gw, refill=True, cancel=True)


def too_many(group: Group) -> int:
    """A quantity above every member's maximum, that two members can take between them."""
    return max(m.service.max for m in group.members) + 2000


def fields(quantity: int, n: int = 0) -> dict[str, object]:
    return {"link": f"https://instagram.com/p/split{n}", "quantity": quantity}


async def children(gw: Gateway, parent: OrderRow) -> list[OrderRow]:
    return (await gw.store.children_of([parent.id]))[parent.id]


async def settle_children(gw: Gateway) -> None:
    """The workers' part: statuses synced, then the client orders brought to their aggregate."""
    await sync_statuses(gw)
    await gw.orders.reconcile_parents()


async def read(gw: Gateway, order: OrderRow, client: str = "c") -> OrderRow:
    [outcome] = await gw.orders.status([order.id], client)
    assert outcome.order is not None
    return outcome.order


async def assert_ledger(gw: Gateway) -> None:
    assert await gw.store.ledger_problems() == []


async def test_a_quantity_above_every_maximum_is_split_across_providers(
    gw: Gateway, trio: Trio
) -> None:
    group = await big_group(gw)
    total = too_many(group)
    assert (await gw.quote(group.id, fields(total))).chosen is None, "no member takes it alone"
    order = await gw.place("c", group.id, fields(total), needs=NEEDS)
    assert order.plan is not None
    assert order.plan["kind"] == "split"
    parts = await children(gw, order)
    assert len(parts) == 2
    assert sum(int(p.request["quantity"]) for p in parts) == total
    assert [int(p.request["quantity"]) for p in parts] == order.plan["parts"]
    assert len({p.provider for p in parts}) == 2, "one part per provider"
    assert all(p.parent_id == order.id and p.state == OrderState.PENDING for p in parts)
    # The best-ranked member fills up to its maximum; the next takes the rest.
    first = parts[0]
    top = (await gw.quote(group.id, fields(5000))).chosen
    assert top is not None
    assert first.provider == top.offer.provider
    assert int(first.request["quantity"]) == top.offer.service.max
    assert trio.calls("add") == {
        name: sum(1 for p in parts if p.provider == name) for name in trio.sims
    }
    # Each upstream order is the part's quantity.
    for part in parts:
        upstream = await upstream_of(trio, part)
        assert upstream.quantity == int(part.request["quantity"])
    # Its parts are listed for the client, and for nobody else.
    assert await gw.orders.children(order.id, "c") == parts
    with pytest.raises(OrderUnknown):
        await gw.orders.children(order.id, "someone-else")
    # The client reads one order: its quantity's remains, no provider of its own.
    shown = await read(gw, order)
    assert shown.state == OrderState.PENDING
    assert shown.remains == total
    assert shown.provider is None
    assert shown.quoted_cost == sum((p.quoted_cost or 0 for p in parts), Decimal(0))
    await assert_ledger(gw)


async def test_the_aggregate_through_completion(gw: Gateway, trio: Trio) -> None:
    group = await big_group(gw)
    total = too_many(group)
    order = await gw.place("c", group.id, fields(total, 1), needs=NEEDS)
    parts = await children(gw, order)
    trio.advance(60)
    await settle_children(gw)
    running = await read(gw, order)
    synced = await children(gw, order)
    assert running.state in (OrderState.PENDING, OrderState.IN_PROGRESS)
    assert running.remains == sum(p.remains or 0 for p in synced)
    assert running.start_count == synced[0].start_count
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    done = await read(gw, order)
    synced = await children(gw, order)
    assert [p.state for p in synced] == [OrderState.COMPLETED] * len(parts)
    assert done.state == OrderState.COMPLETED
    assert done.remains == 0
    assert done.start_count == synced[0].start_count
    # The charge is the children's, summed in the base currency.
    entry = status_entry(done, gw.base_currency, gw.settings.rate_to_base)
    charges = [status_entry(p, gw.base_currency, gw.settings.rate_to_base) for p in synced]
    assert Decimal(entry["charge"]) == sum((Decimal(c["charge"]) for c in charges), Decimal(0))
    assert (entry["status"], entry["remains"]) == ("Completed", "0")
    # The stored row agrees with the read, and its history says the children changed it.
    stored = await gw.store.get_order(order.id)
    assert (stored.state, stored.remains) == (OrderState.COMPLETED, 0)
    kinds = [e.kind for e in await gw.store.order_events(order.id)]
    assert kinds[0] == "created"
    assert "children" in kinds
    await assert_ledger(gw)


async def test_a_partial_child_makes_the_client_order_partial(gw: Gateway, trio: Trio) -> None:
    group = await big_group(gw)
    total = too_many(group)
    order = await gw.place("c", group.id, fields(total, 2), needs=NEEDS)
    _, second = await children(gw, order)
    trio.advance(60)
    upstream = await upstream_of(trio, second)
    upstream.stop(OrderState.PARTIAL, upstream.total // 4)
    await settle_children(gw)
    middle = await read(gw, order)
    assert middle.state == OrderState.IN_PROGRESS, "open while the other part runs"
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    done = await read(gw, order)
    assert done.state == OrderState.PARTIAL
    assert done.remains == upstream.total - upstream.total // 4
    entry = status_entry(done, gw.base_currency, gw.settings.rate_to_base)
    assert entry["status"] == "Partial"
    await assert_ledger(gw)


async def test_refill_and_cancel_fan_out_to_the_children(gw: Gateway, trio: Trio) -> None:
    group = await big_group(gw)
    total = too_many(group)
    to_cancel = await gw.place("c", group.id, fields(total, 3), needs=NEEDS)
    [canceled] = await gw.orders.cancel([to_cancel.id], "c")
    assert canceled.error is None
    assert trio.calls("cancel") == {
        name: sum(1 for p in await children(gw, to_cancel) if p.provider == name)
        for name in trio.sims
    }
    to_refill = await gw.place("c", group.id, fields(total, 4), needs=NEEDS)
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    assert (await read(gw, to_cancel)).state == OrderState.CANCELED
    assert (await read(gw, to_refill)).state == OrderState.COMPLETED
    [refilled] = await gw.orders.refill([to_refill.id], "c")
    assert refilled.error is None
    assert refilled.refill is not None
    parts = await children(gw, to_refill)
    assert refilled.refill.order_id == parts[0].id
    asked = sum(trio.calls("refill").values())
    assert asked == len(parts), "each child asked once"
    # Another client sees neither.
    [other] = await gw.orders.refill([to_refill.id], "someone-else")
    assert other.order is None
    await assert_ledger(gw)


async def test_an_ambiguous_child_is_unconfirmed_and_the_rest_proceed(
    gw: Gateway, trio: Trio
) -> None:
    group = await big_group(gw)
    total = too_many(group)
    top = (await gw.quote(group.id, fields(5000))).chosen
    assert top is not None
    trio.sims[top.offer.provider].faults.add(
        Fault(FaultKind.DROP, actions=frozenset({"add"}), count=1)
    )
    order = await gw.place("c", group.id, fields(total, 5), needs=NEEDS)
    first, second = await children(gw, order)
    assert first.provider == top.offer.provider
    assert first.state == GatewayState.UNCONFIRMED, "never sent elsewhere"
    assert [a["provider"] for a in first.attempts] == [top.offer.provider]
    assert second.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 2
    shown = await read(gw, order)
    assert UNCONFIRMED_PART in (shown.flags or [])
    assert shown.error is not None
    assert str(first.id) in shown.error
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    waiting = await read(gw, order)
    assert (await gw.store.get_order(second.id)).state == OrderState.COMPLETED
    assert waiting.state == OrderState.IN_PROGRESS, "open until the ambiguous part is resolved"
    assert waiting.remains == int(first.request["quantity"])
    await gw.orders.resolve(first.id, by="ops", not_placed=True)
    await gw.orders.reconcile_parents()
    done = await read(gw, order)
    assert done.state == OrderState.PARTIAL
    assert UNCONFIRMED_PART not in (done.flags or [])
    await assert_ledger(gw)


async def test_an_accounts_hold_is_settled_exactly_from_the_children(
    gw: Gateway, trio: Trio
) -> None:
    group = await big_group(gw)
    total = too_many(group)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, fields(total, 6), account=shop, needs=NEEDS)
    parts = await children(gw, order)
    assert order.client_price is not None
    assert all(p.account_id is None and p.client_price is None for p in parts), "one hold"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000) - order.client_price, order.client_price)
    await assert_ledger(gw)
    trio.advance(60)
    upstream = await upstream_of(trio, parts[1])
    upstream.stop(OrderState.PARTIAL, upstream.total // 2)
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.PARTIAL
    assert done.remains == upstream.total - upstream.total // 2
    assert order.plan is not None
    part_price = Decimal(order.plan["prices"][1])  # the partial part's own price
    own_share = part_price * done.remains / int(parts[1].request["quantity"])
    refund = own_share.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert done.client_charge == order.client_price - refund
    settled = await fresh(gw, shop)
    assert (settled.balance, settled.held) == (Decimal(1000) - done.client_charge, Decimal(0))
    await gw.orders.reconcile_parents()  # nothing new: settled once
    assert (await fresh(gw, shop)).balance == settled.balance
    await assert_ledger(gw)


async def test_a_split_asked_for_shares_the_quantity_evenly(gw: Gateway, trio: Trio) -> None:
    group = await big_group(gw)
    order = await gw.place("c", group.id, fields(3001, 7), needs=NEEDS, split=True)
    parts = await children(gw, order)
    assert [int(p.request["quantity"]) for p in parts] == [1001, 1000, 1000]
    assert len({p.provider for p in parts}) == 3
    assert (await read(gw, order)).remains == 3001
    await assert_ledger(gw)


async def test_a_child_every_provider_refuses_fails_and_its_part_is_refunded(
    gw: Gateway, trio: Trio
) -> None:
    group = await big_group(gw)
    total = too_many(group)
    top = (await gw.quote(group.id, fields(5000))).chosen
    assert top is not None
    for name, sim in trio.sims.items():
        if name != top.offer.provider:  # only the first part's provider can pay for it
            sim.panel.set_account(sim.key or "", Decimal(0))
    # A markup that keeps every member within the margin, so failover may reach them all.
    shop = await open_account(gw, "1000", markup_percent="100")
    order = await gw.place("shop", group.id, fields(total, 8), account=shop, needs=NEEDS)
    first, second = await children(gw, order)
    assert first.state == OrderState.PENDING
    assert second.state == GatewayState.FAILED, "provably not placed: failed, not ambiguous"
    assert {a["error"] for a in second.attempts} == {"InsufficientFunds"}
    assert {a["provider"] for a in second.attempts} == set(trio.sims) - {first.provider}
    shown = await read(gw, order, "shop")
    assert shown.state == OrderState.PENDING, "the first part proceeds"
    assert shown.error is not None
    assert str(second.id) in shown.error
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    done = await gw.store.get_order(order.id)
    assert (done.state, done.remains) == (OrderState.PARTIAL, int(second.request["quantity"]))
    assert order.client_price is not None
    assert order.plan is not None
    assert done.client_charge == order.client_price - Decimal(order.plan["prices"][1])
    settled = await fresh(gw, shop)
    assert (settled.balance, settled.held) == (Decimal(1000) - done.client_charge, Decimal(0))
    await assert_ledger(gw)


async def a_failed_dear_part(
    gw: Gateway, trio: Trio, n: int
) -> tuple[OrderRow, AccountRow, Decimal, Decimal]:
    """A split of an account at 100% markup whose second (dearer) part every provider refused;
    the order, the account, and each part's own price computed from its member's rate."""
    group = await big_group(gw)
    total = too_many(group)
    top = (await gw.quote(group.id, fields(5000))).chosen
    assert top is not None
    for name, sim in trio.sims.items():
        if name != top.offer.provider:  # the dearer part finds no provider that can pay
            sim.panel.set_account(sim.key or "", Decimal(0))
    shop = await open_account(gw, "1000", markup_percent="100")
    order = await gw.place("shop", group.id, fields(total, n), account=shop, needs=NEEDS)
    first, second = await children(gw, order)
    assert second.state == GatewayState.FAILED
    # Each part's own price: its member's rate doubled (100% markup), times its quantity.
    own: list[Decimal] = []
    used: set[str] = set()
    for part in (first, second):
        quantity = int(part.request["quantity"])
        ranked = (await gw.quote(group.id, fields(quantity))).candidates
        member = next(c for c in ranked if c.offer.provider not in used)
        used.add(member.offer.provider)
        rate = round_up(member.offer.rate * 2)
        own.append(round_up(rate * quantity / 1000))
    cheap, dear = own
    assert cheap / int(first.request["quantity"]) != dear / int(second.request["quantity"])
    assert order.client_price == cheap + dear
    return order, shop, cheap, dear


async def test_a_failed_part_is_refunded_at_its_own_price_not_the_mean(
    gw: Gateway, trio: Trio
) -> None:
    order, shop, cheap, _ = await a_failed_dear_part(gw, trio, 9)
    trio.advance(FORTNIGHT)
    await settle_children(gw)
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.PARTIAL
    assert done.client_charge == cheap, "the failed part's own price is refunded in full"
    settled = await fresh(gw, shop)
    assert (settled.balance, settled.held) == (Decimal(1000) - cheap, Decimal(0))
    await assert_ledger(gw)


async def test_a_final_order_not_settled_yet_shows_the_charge_settlement_will_make(
    gw: Gateway, trio: Trio
) -> None:
    order, shop, cheap, _ = await a_failed_dear_part(gw, trio, 10)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)  # the children are final; the child-orders job has not run
    assert (await gw.store.get_order(order.id)).client_charge is None, "not settled yet"
    shown = await read(gw, order, "shop")
    assert shown.state == OrderState.PARTIAL
    assert shown.client_charge == cheap
    assert v2_charge(shown) == cheap, "what /api/v2 status shows as its charge"
    await gw.orders.reconcile_parents()
    settled = await gw.store.get_order(order.id)
    assert settled.client_charge == shown.client_charge, "the view said what settlement did"
    assert (await fresh(gw, shop)).balance == Decimal(1000) - cheap
    await assert_ledger(gw)


async def test_a_partial_child_without_remains_refunds_nothing_as_a_plain_order(
    gw: Gateway, trio: Trio
) -> None:
    group = await big_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, fields(too_many(group), 11), account=shop)
    assert order.client_price is not None
    first, second = await children(gw, order)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    # The panel says partial with no remains: as for a plain order, nothing is refunded.
    second = await gw.store.get_order(second.id)
    await gw.store.update_order(
        second.id, event_kind="status", expected_version=second.version,
        state=OrderState.PARTIAL, remains=None,
    )  # fmt: skip
    assert (await gw.store.get_order(first.id)).state == OrderState.COMPLETED
    await gw.orders.reconcile_parents()
    done = await gw.store.get_order(order.id)
    assert done.remains == 0
    assert done.client_charge == order.client_price
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(1000) - order.client_price, Decimal(0))
    await assert_ledger(gw)


async def test_an_unchanged_open_client_order_is_not_rewritten(
    settings: Settings, trio: Trio
) -> None:
    # A rate whose products outrun the ledger's 10 places: a child's charge in EUR converts to
    # a longer amount than its client order's row keeps.
    long_rate = settings.model_copy(update={"currency_rates": {"EUR": Decimal("1.0812347")}})
    async with open_gateway(long_rate, trio) as gw:
        group = await big_group(gw)
        order = await gw.place("c", group.id, fields(3003, 12), needs=NEEDS, split=True)
        parts = await children(gw, order)
        assert any(p.provider_currency == "EUR" for p in parts), "one part charged in EUR"
        trio.advance(60)
        [euro] = [p for p in parts if p.provider_currency == "EUR"]
        (await upstream_of(trio, euro)).stop(OrderState.PARTIAL, 337)  # charged a share
        await sync_statuses(gw)
        assert await gw.orders.reconcile_parents() == 1
        written = await gw.store.get_order(order.id)
        assert written.state == OrderState.IN_PROGRESS
        assert written.charge is not None
        assert await gw.orders.reconcile_parents() == 0, "nothing changed since"
        assert (await gw.store.get_order(order.id)).version == written.version
        await assert_ledger(gw)


async def test_a_retry_with_the_same_key_answers_the_aggregate(gw: Gateway, trio: Trio) -> None:
    group = await big_group(gw)
    total = too_many(group)
    order = await gw.place("c", group.id, fields(total, 13), idempotency_key="k13", needs=NEEDS)
    trio.advance(60)
    await sync_statuses(gw)  # the children run; the client order's row is not rewritten yet
    assert (await gw.store.get_order(order.id)).state == OrderState.PENDING
    again = await gw.place("c", group.id, fields(total, 13), idempotency_key="k13", needs=NEEDS)
    assert again.id == order.id
    shown = await read(gw, order)
    assert shown.state == OrderState.IN_PROGRESS
    assert (again.state, again.remains, again.charge) == (shown.state, shown.remains, shown.charge)
    await assert_ledger(gw)
