"""A drip-feed sent to members whose listing says nothing of drip-feed, and refused by each of
them, is run by the gateway instead (over simulated panels on loopback HTTP, on SQLite and
PostgreSQL): an account pays for the runs only, its hold on the refused attempt refunded whole;
an order a panel may have placed, or that failed on a mistake of the client's own, is never
retried as runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from gateway.accounts.pricing import round_up
from gateway.core import Gateway
from gateway.orders.drip_refusals import DripRefusals, refused_drip
from gateway.routing import Exclusion, ProviderState, quote
from gateway.store import GatewayState, OrderRow
from providers.models import OrderRequest
from tests.gateway.catalog_helpers import service, snapshot
from tests.gateway.panels import Trio
from tests.gateway.rest.test_v2_panel_texts import refusing_group
from tests.gateway.test_account_placement import fresh, open_account


async def test_an_accounts_refused_drip_feed_is_run_by_the_gateway_and_held_once(
    gw: Gateway, trio: Trio
) -> None:
    group = await refusing_group(gw, trio)
    quantity = max(m.service.min for m in group.members)
    fields = {"link": "https://instagram.com/p/d1", "quantity": quantity, "runs": 3,
              "interval": 30}  # fmt: skip
    decision = await gw.quote(group.id, fields)
    assert decision.chosen is not None, "an unknown drip-feed flag is no refusal"
    assert Exclusion.NO_DRIPFEED not in {e.reason for e in decision.excluded}
    shop = await open_account(gw, "500", markup_percent="20")

    order = await gw.place("shop", group.id, fields, account=shop, idempotency_key="k1")

    assert order.plan is not None
    assert order.plan["kind"] == "drip"
    assert order.account_id == shop.id
    assert order.client_rate is not None
    assert order.client_price is not None
    run_price = round_up(order.client_rate * quantity / 1000)
    assert order.client_price == 3 * run_price, "held for every run, each at one run's price"
    [refused] = [o for o in await gw.store.list_orders(None, None, None, 10) if o.id < order.id]
    assert (refused.state, refused.account_id) == (GatewayState.FAILED, shop.id)
    assert refused.client_charge == Decimal(0), "the refused attempt's hold came back whole"
    after = await fresh(gw, shop)
    assert (after.balance, after.held) == (Decimal(500) - order.client_price, order.client_price)
    assert await gw.store.ledger_problems() == []

    again = await gw.place("shop", group.id, fields, account=shop, idempotency_key="k1")
    assert again.id == order.id, "the key stands for the order run by the gateway"
    assert (await fresh(gw, shop)).held == order.client_price


def test_only_a_drip_feed_refused_as_such_and_placed_nowhere_is_run_instead() -> None:
    snap = snapshot({"alpha": [service("1", "Instagram Followers", "0.50")]})
    group = next(iter(snap.groups.values()))
    request = OrderRequest(service="g", link="https://instagram.com/x", quantity=100, runs=2,
                           interval=10)  # fmt: skip
    decision = quote(group, request, {"alpha": ProviderState()})
    now = datetime.now(UTC)
    refusal = {"provider": "alpha", "error": "NotSupported", "message": "no drip-feed"}
    failed = OrderRow(id=1, client_id="c", request=request.model_dump(), state="FAILED",
                      version=3, created_at=now, updated_at=now, attempts=[refusal])  # fmt: skip
    assert refused_drip(failed, decision)
    funds = {"provider": "beta", "error": "InsufficientFunds", "message": "no funds"}
    assert refused_drip(replace(failed, attempts=[funds, refusal]), decision)
    bad_link = {"provider": "beta", "error": "InvalidLink", "message": "Incorrect link"}
    assert not refused_drip(replace(failed, attempts=[refusal, bad_link]), decision)
    assert not refused_drip(replace(failed, attempts=[funds]), decision)
    assert not refused_drip(replace(failed, state="UNCONFIRMED"), decision)
    assert not refused_drip(replace(failed, provider_order_id="77"), decision)
    assert not refused_drip(replace(failed, parent_id=9), decision), "a run is never re-planned"
    plain = quote(group, request.model_copy(update={"runs": None, "interval": None}),
                  {"alpha": ProviderState()})  # fmt: skip
    assert not refused_drip(failed, plain)


def test_a_refusal_is_remembered_for_a_while() -> None:
    now = [100.0]
    refusals = DripRefusals(remember=60, clock=lambda: now[0])
    assert refusals.known() == frozenset()
    refusals.note([("alpha", "1"), ("beta", "7")])
    now[0] += 30
    refusals.note([("alpha", "1")])  # refused again: remembered from now
    assert refusals.known() == {("alpha", "1"), ("beta", "7")}
    now[0] += 31
    assert refusals.known() == {("alpha", "1")}
    now[0] += 30
    assert refusals.known() == frozenset()
