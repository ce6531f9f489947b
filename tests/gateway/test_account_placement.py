"""Placing orders for client accounts across three simulated panels over loopback HTTP, on SQLite
and PostgreSQL: priced with the account's list, held in the order row's transaction before any
provider call, refused with no order and no upstream call, settled when the order is final, and
the margin guard. The ledger's invariants are checked after every scenario."""

from __future__ import annotations

import asyncio
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from gateway import events, metrics
from gateway.accounts.errors import (
    AccountRefused,
    AccountSuspended,
    InsufficientFunds,
    MarginBreached,
    SpendCapReached,
)
from gateway.accounts.pricing import PriceList, round_up
from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import NoEligibleProvider
from gateway.routing import Exclusion
from gateway.store import GatewayState, OrderRow
from gateway.store.rows import AccountRow
from providers.models import OrderState
from providers.simulator import Fault, FaultKind
from providers.simulator.orders import SimOrder
from tests.gateway.panels import Trio, shared_group
from tests.gateway.syncing import sync_statuses
from tests.gateway.transports import Switchboard, open_switched_gateway

FORTNIGHT = 14 * 24 * 3600


def fields_for(group: Group, n: int = 0) -> dict[str, object]:
    quantity = max(m.service.min for m in group.members)
    return {"link": f"https://instagram.com/p/acct{n}", "quantity": quantity}


async def open_account(
    gw: Gateway,
    funds: str = "100",
    *,
    name: str = "shop",
    policy: str = "skip",
    **options: Any,
) -> AccountRow:
    """An account topped up with `funds`; `options` are its price list's fields (markup_percent,
    min_margin_percent, overrides) and the account's (credit_limit, spend caps...)."""
    list_fields = {"markup_percent", "min_margin_percent", "overrides"}
    prices = PriceList.model_validate({k: v for k, v in options.items() if k in list_fields})
    account = await gw.store.create_account(
        name,
        currency=gw.base_currency,
        price_list=prices.model_dump(mode="json"),
        margin_policy=policy,
        **{k: v for k, v in options.items() if k not in list_fields},
    )
    if Decimal(funds):
        await gw.store.top_up(account.id, Decimal(funds), reason="test funds")
    return await fresh(gw, account)


async def fresh(gw: Gateway, account: AccountRow) -> AccountRow:
    row = await gw.store.account_by_id(account.id)
    assert row is not None
    return row


async def expected_price(gw: Gateway, group: Group, fields: dict[str, object], markup: str) -> Any:
    """The rate and hold of an order of `fields` at `markup` percent over the cheapest now."""
    decision = await gw.quote(group.id, fields)
    assert decision.chosen is not None
    rate = round_up(decision.chosen.offer.rate * (1 + Decimal(markup) / 100))
    quantity = Decimal(str(fields["quantity"]))
    return rate, round_up(rate * quantity / 1000)


async def upstream_of(trio: Trio, row: OrderRow) -> SimOrder:
    """The panel's own record of `row`."""
    assert row.provider is not None
    [found] = [
        o for o in trio.sims[row.provider].panel.orders() if o.fields["link"] == row.request["link"]
    ]
    return found


async def assert_ledger(gw: Gateway) -> None:
    assert await gw.store.ledger_problems() == []


async def nothing_placed(gw: Gateway, trio: Trio) -> None:
    assert await gw.store.list_orders(None, None, None, 10) == []
    assert trio.calls("add") == dict.fromkeys(trio.sims, 0), "no provider was called"


# -- priced and held --------------------------------------------------------------------


async def test_an_order_is_priced_with_the_list_and_held_on_the_account(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = fields_for(group)
    shop = await open_account(gw, markup_percent="20")
    rate, price = await expected_price(gw, group, fields, "20")
    order = await gw.place("shop", group.id, fields, account=shop)
    assert order.state == OrderState.PENDING
    assert (order.account_id, order.client_rate, order.client_price) == (shop.id, rate, price)
    assert (order.client_currency, order.client_charge) == ("USD", None)
    assert order.quoted_cost is not None
    assert order.client_price is not None
    assert order.client_price > order.quoted_cost, "the client pays the markup over cost"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100) - price, price)
    [hold, _topup] = await gw.store.movements(shop.id)
    assert (hold.kind, hold.order_id, hold.amount) == ("hold", order.id, -price)
    created = next(e for e in await gw.store.pending_outbox(100) if e.type == "order.created")
    assert Decimal(created.payload["data"]["order"]["client_price"]) == price
    # The operator's own keys are neither priced nor held.
    own = await gw.place("operator", group.id, fields_for(group, 1))
    assert (own.account_id, own.client_price, own.client_rate) == (None, None, None)
    assert (await fresh(gw, shop)).held == price
    await assert_ledger(gw)


async def test_the_hold_is_written_before_any_provider_is_called(
    settings: Settings, trio: Trio
) -> None:
    boards = {name: Switchboard() for name in trio.sims}
    async with open_switched_gateway(settings, trio, boards) as gw:
        group = await shared_group(gw)
        shop = await open_account(gw, markup_percent="10")
        decision = await gw.quote(group.id, fields_for(group))
        assert decision.chosen is not None
        board = boards[decision.chosen.offer.provider]
        board.hold("add")
        placing = asyncio.create_task(gw.place("shop", group.id, fields_for(group), account=shop))
        await asyncio.wait_for(board.arrived.wait(), 60)
        # The add is on its way: the order row and its hold are committed already.
        [row] = await gw.store.list_orders(None, None, None, 10)
        assert row.state == GatewayState.RECEIVED
        assert row.client_price is not None
        assert (await fresh(gw, shop)).held == row.client_price
        board.release()
        order = await placing
        assert order.id == row.id
        assert order.state == OrderState.PENDING
        await assert_ledger(gw)


async def test_quote_for_an_account_shows_its_price(gw: Gateway) -> None:
    group = await shared_group(gw)
    fields = fields_for(group)
    shop = await open_account(gw, markup_percent="15")
    decision, price = await gw.quote_for(shop, group.id, fields)
    assert price is not None
    assert (price.rate, price.amount) == await expected_price(gw, group, fields, "15")
    assert decision.chosen is not None
    too_many = {**fields, "quantity": 10**12}
    nobody, none = await gw.quote_for(shop, group.id, too_many)
    assert (nobody.chosen, none) == (None, None), "no member: the quote says why, no price"
    assert await gw.store.list_orders(None, None, None, 10) == []


async def test_a_credit_limit_lets_the_balance_go_negative(gw: Gateway) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, "0", credit_limit=Decimal(50))
    order = await gw.place("shop", group.id, fields_for(group), account=shop)
    assert order.client_price is not None
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (-order.client_price, order.client_price)
    await assert_ledger(gw)


# -- refused: no order, no upstream call ----------------------------------------------------


async def test_insufficient_funds_leave_no_order_and_free_the_key(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    fields = fields_for(group)
    _, price = await expected_price(gw, group, fields, "20")
    shop = await open_account(gw, f"{price - Decimal('0.0001'):f}", markup_percent="20")
    with pytest.raises(InsufficientFunds) as refused:
        await gw.place("shop", group.id, fields, account=shop, idempotency_key="k")
    assert refused.value.message == "Not enough funds on balance"
    await nothing_placed(gw, trio)
    assert (await fresh(gw, shop)).held == 0
    await assert_ledger(gw)
    # Topped up, the same request with the same key places its order, once.
    await gw.store.top_up(shop.id, Decimal("0.0001"), reason="the missing cent")
    order = await gw.place("shop", group.id, fields, account=shop, idempotency_key="k")
    again = await gw.place("shop", group.id, fields, account=shop, idempotency_key="k")
    assert again.id == order.id
    assert sum(trio.calls("add").values()) == 1
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(0), price), "funds exactly cover the price"
    await assert_ledger(gw)


async def test_a_suspended_account_places_nothing(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw)
    await gw.store.update_account(shop.id, state="suspended")
    suspended = await fresh(gw, shop)
    with pytest.raises(AccountSuspended, match="Your account is suspended"):
        await gw.place("shop", group.id, fields_for(group), account=suspended)
    with pytest.raises(AccountSuspended):
        await gw.quote_for(suspended, group.id, fields_for(group))
    # Read before the suspension: the hold refuses under the account's lock all the same.
    with pytest.raises(AccountSuspended):
        await gw.place("shop", group.id, fields_for(group), account=shop, idempotency_key="s")
    await nothing_placed(gw, trio)
    assert (await gw.store.claim_idempotency_key("shop", "s", "x")).owner, "the key was freed"
    await assert_ledger(gw)


@pytest.mark.parametrize(
    ("cap", "text"), [("spend_cap_day", "Daily"), ("spend_cap_month", "Monthly")]
)
async def test_a_spend_cap_refuses_the_order_that_would_pass_it(
    gw: Gateway, trio: Trio, cap: str, text: str
) -> None:
    group = await shared_group(gw)
    _, price = await expected_price(gw, group, fields_for(group), "0")
    # Room for exactly one order.
    shop = await open_account(gw, **{cap: price + price / 2})
    first = await gw.place("shop", group.id, fields_for(group, 1), account=shop)
    assert first.client_price == price
    adds = sum(trio.calls("add").values())
    with pytest.raises(SpendCapReached, match=f"{text} spend limit reached"):
        await gw.place("shop", group.id, fields_for(group, 2), account=shop)
    assert sum(trio.calls("add").values()) == adds, "no provider was called"
    assert [o.id for o in await gw.store.list_orders(None, None, None, 10)] == [first.id]
    assert (await fresh(gw, shop)).held == price
    await assert_ledger(gw)


async def test_concurrent_orders_take_exactly_what_the_funds_cover(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    _, price = await expected_price(gw, group, fields_for(group), "0")
    shop = await open_account(gw, f"{price * 5:f}")
    results = await asyncio.gather(
        *(gw.place("shop", group.id, fields_for(group, n), account=shop) for n in range(15)),
        return_exceptions=True,
    )
    placed = [r for r in results if isinstance(r, OrderRow)]
    refused = [r for r in results if isinstance(r, AccountRefused)]
    assert (len(placed), len(refused)) == (5, 10), results
    assert all(isinstance(r, InsufficientFunds) for r in refused)
    assert sum(trio.calls("add").values()) == 5
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(0), price * 5)
    await assert_ledger(gw)


# -- settled when final --------------------------------------------------------------------


def partial_refund(row: OrderRow) -> Decimal:
    assert row.client_rate is not None
    assert row.client_price is not None
    assert row.remains is not None
    due = (row.client_rate * row.remains / 1000).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return min(row.client_price, due)


async def test_an_order_settles_once_the_status_sync_sees_it_final(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, markup_percent="30")
    order = await gw.place("shop", group.id, fields_for(group), account=shop)
    price = order.client_price
    assert price is not None
    trio.advance(60)
    await sync_statuses(gw)
    running = await gw.store.get_order(order.id)
    assert running.state in (OrderState.PENDING, OrderState.IN_PROGRESS)
    assert running.client_charge is None
    assert (await fresh(gw, shop)).held == price, "held while the order runs"
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    done = await gw.store.get_order(order.id)
    assert done.state in (OrderState.COMPLETED, OrderState.PARTIAL)
    charged = price if done.state == OrderState.COMPLETED else price - partial_refund(done)
    assert done.client_charge == charged
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100) - charged, Decimal(0))
    kinds = sorted(m.kind for m in await gw.store.movements(shop.id))
    assert kinds == sorted(["topup", "hold", "charge"] + (["refund"] if charged < price else []))
    await sync_statuses(gw)  # nothing new: settled once
    assert (await fresh(gw, shop)).balance == Decimal(100) - charged
    await assert_ledger(gw)


async def test_a_partial_refunds_the_undelivered_part_at_the_client_rate(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, markup_percent="25")
    order = await gw.place("shop", group.id, fields_for(group), account=shop)
    upstream = await upstream_of(trio, order)
    trio.advance(60)
    upstream.stop(OrderState.PARTIAL, upstream.total // 3)  # the panel gives up a third in
    await sync_statuses(gw)
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.PARTIAL
    assert done.remains == upstream.total - upstream.total // 3
    assert order.client_price is not None
    refund = partial_refund(done)
    assert 0 < refund < order.client_price
    assert done.client_charge == order.client_price - refund
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100) - done.client_charge, Decimal(0))
    await assert_ledger(gw)


async def test_a_canceled_order_refunds_the_whole_hold(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw, cancel=True)
    shop = await open_account(gw, markup_percent="10")
    order = await gw.place("shop", group.id, fields_for(group), account=shop)
    [asked] = await gw.orders.cancel([order.id], "shop")
    assert asked.error is None
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.CANCELED
    assert done.client_charge == 0
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100), Decimal(0))
    await assert_ledger(gw)


async def test_an_order_every_provider_refused_refunds_the_hold(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    for sim in trio.sims.values():
        sim.panel.set_account(sim.key or "", Decimal(0))
    shop = await open_account(gw, markup_percent="500")  # every member keeps the margin
    order = await gw.place("shop", group.id, fields_for(group), account=shop)
    assert order.state == GatewayState.FAILED
    assert {a["error"] for a in order.attempts} == {"InsufficientFunds"}
    assert {a["provider"] for a in order.attempts} == set(trio.sims)
    assert order.client_charge == 0
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100), Decimal(0))
    await assert_ledger(gw)


async def test_an_unconfirmed_order_stays_held_until_resolved(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw)
    decision = await gw.quote(group.id, fields_for(group))
    assert decision.chosen is not None
    sim = trio.sims[decision.chosen.offer.provider]
    sim.faults.add(Fault(FaultKind.DROP, actions=frozenset({"add"})))
    order = await gw.place("shop", group.id, fields_for(group), account=shop)
    assert order.state == GatewayState.UNCONFIRMED
    assert order.client_price is not None
    await sync_statuses(gw)
    assert (await gw.store.get_order(order.id)).client_charge is None
    assert (await fresh(gw, shop)).held == order.client_price, "its outcome is unknown: held"
    await assert_ledger(gw)
    resolved = await gw.orders.resolve(order.id, by="ops", not_placed=True)
    assert resolved.state == GatewayState.FAILED
    assert resolved.client_charge == 0
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100), Decimal(0))
    await assert_ledger(gw)


# -- the margin guard --------------------------------------------------------------------


async def test_a_margin_breach_places_nothing_and_is_recorded(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    below_cost = [{"service_id": group.id, "rate": "0.0001"}]
    shop = await open_account(gw, name="thin", overrides=below_cost, min_margin_percent="5")
    counted = metrics.REGISTRY.get_sample_value("smmgw_margin_breaches_total", {"account": "thin"})
    with pytest.raises(MarginBreached) as refused:
        await gw.place("thin", group.id, fields_for(group), account=shop, idempotency_key="m")
    assert refused.value.message == "Service is currently unavailable"
    await nothing_placed(gw, trio)
    assert (await gw.store.claim_idempotency_key("thin", "m", "x")).owner, "the key was freed"
    [breach] = [
        e for e in await gw.store.pending_outbox(100) if e.type == events.SERVICE_MARGIN_BREACHED
    ]
    data = breach.payload["data"]
    cheapest = min(m.rate for m in group.members)
    assert (data["account"], data["service_id"]) == ("thin", group.id)
    assert (Decimal(data["cost_rate"]), Decimal(data["price_rate"])) == (
        cheapest,
        Decimal("0.0001"),
    )
    after = metrics.REGISTRY.get_sample_value("smmgw_margin_breaches_total", {"account": "thin"})
    assert after == (counted or 0) + 1
    # A quote is a read: it refuses the same way but records nothing.
    with pytest.raises(MarginBreached):
        await gw.quote_for(shop, group.id, fields_for(group))
    kinds = [e.type for e in await gw.store.pending_outbox(100)]
    assert kinds.count(events.SERVICE_MARGIN_BREACHED) == 1
    assert (await fresh(gw, shop)).balance == Decimal(100)
    await assert_ledger(gw)


async def test_reprice_places_at_the_floor(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    below_cost = [{"service_id": group.id, "rate": "0.0001"}]
    shop = await open_account(gw, policy="reprice", overrides=below_cost, min_margin_percent="10")
    fields = fields_for(group)
    rate, price = await expected_price(gw, group, fields, "10")
    order = await gw.place("shop", group.id, fields, account=shop)
    assert order.state == OrderState.PENDING
    assert (order.client_rate, order.client_price) == (rate, price)
    assert order.quoted_cost is not None
    assert order.client_price is not None
    assert order.client_price >= order.quoted_cost * Decimal("1.1")
    assert (await fresh(gw, shop)).held == price
    kinds = [e.type for e in await gw.store.pending_outbox(100)]
    assert events.SERVICE_MARGIN_BREACHED not in kinds, "repriced, not refused"
    await assert_ledger(gw)


async def test_failover_never_goes_to_a_member_the_price_loses_money_on(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = fields_for(group)
    shop = await open_account(gw, markup_percent="0")  # the cheapest's cost, nothing more
    plain = await gw.quote(group.id, fields)
    decision, price = await gw.quote_for(shop, group.id, fields)
    assert price is not None
    [cheapest] = decision.candidates
    others = {e.offer.id for e in decision.excluded if e.reason is Exclusion.MARGIN_BREACHED}
    assert others == {c.offer.id for c in plain.candidates[1:]}, "every dearer member is out"
    assert {c.offer.provider for c in plain.candidates[1:]} >= set(trio.sims) - {
        cheapest.offer.provider
    }, "the others could have taken it but for the margin"
    trio.sims[cheapest.offer.provider].stop()
    order = await gw.place("shop", group.id, fields, account=shop)
    assert order.state == GatewayState.FAILED
    assert [a["provider"] for a in order.attempts] == [cheapest.offer.provider]
    assert trio.calls("add") == dict.fromkeys(trio.sims, 0), "the cheapest was down"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(100), Decimal(0)), "refunded whole"
    await assert_ledger(gw)


async def test_an_unknown_service_or_quantity_is_refused_before_pricing(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw)
    with pytest.raises(NoEligibleProvider):
        await gw.place("shop", group.id, {**fields_for(group), "quantity": 10**12}, account=shop)
    await nothing_placed(gw, trio)
    await assert_ledger(gw)
