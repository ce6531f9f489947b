"""Quotes of a drip-feed no member offers, over GraphQL: placement would run it itself, one
plain order a run, so the quote prices one run times the runs (for a client account's key, its
own price for them all, the one its order is held), and says why when no member takes even one
run. The real app on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.catalog import Group
from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.graphql.test_accounts import account_key, funded

QUOTE = """query($id: Int!, $quantity: BigInt, $link: String, $details: OrderDetailsInput) {
  quote(serviceId: $id, quantity: $quantity, link: $link, details: $details) {
    __typename
    ... on Quote { quantity cost { amount currency } refusal parts { quantity } }
    ... on UserError { message code } } }"""
PLACE = """mutation($input: OrderInput!) { placeOrder(input: $input) { __typename
  ... on PlaceOrderSuccess { order { id cost { amount currency } } }
  ... on UserError { message code } } }"""


async def no_drip_group(gw: Gateway) -> Group:
    """A group none of whose members offers drip-feed (each listing says so)."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        if group.members and all(m.service.dripfeed is False for m in group.members):
            return group
    raise AssertionError("no group without drip-feed")


def drip(group: Group, runs: int, n: int) -> dict[str, Any]:
    quantity = max(m.service.min for m in group.members)
    return {"id": group.id, "quantity": str(quantity), "link": f"https://instagram.com/p/dq{n}",
            "details": {"runs": runs, "interval": 30}}  # fmt: skip


async def test_a_drip_feed_the_gateway_runs_is_quoted_for_every_run(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await no_drip_group(gw)
    wanted = drip(group, runs=4, n=1)
    run = {k: v for k, v in wanted.items() if k != "details"}
    one = (await api(keys.ops).data(QUOTE, run))["quote"]
    assert one["cost"] is not None, one
    quote = (await api(keys.ops).data(QUOTE, wanted))["quote"]
    assert (quote["__typename"], quote["refusal"], quote["parts"]) == ("Quote", None, [])
    every = Decimal(one["cost"]["amount"]) * 4
    assert quote["cost"] == {"amount": f"{every:f}", "currency": one["cost"]["currency"]}

    admin = api(keys.admin)
    await funded(admin, "dripshop", "1000", priceList={"markupPercent": "20"})
    shop = api(await account_key(admin, "dripshop"))
    mine = (await shop.data(QUOTE, wanted))["quote"]
    assert mine["refusal"] is None
    price = mine["cost"]
    assert Decimal(price["amount"]) >= every * Decimal("1.2")
    fields = {"serviceId": wanted["id"], "quantity": wanted["quantity"], "link": wanted["link"],
              "details": wanted["details"]}  # fmt: skip
    placed = (await shop.data(PLACE, {"input": fields}))["placeOrder"]
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    assert placed["order"]["cost"] == price, "held what it was quoted"
    row = await gw.store.get_order(placed["order"]["id"])
    assert row.plan is not None
    assert (row.plan["kind"], row.client_price) == ("drip", Decimal(price["amount"]))
    assert await gw.store.ledger_problems() == []


async def test_a_drip_feed_no_member_takes_one_run_of_is_quoted_with_its_refusal(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await no_drip_group(gw)
    wanted = drip(group, runs=3, n=2)
    most = max(m.service.max for m in group.members)
    wanted["quantity"] = str(most + 1)
    quote = (await api(keys.ops).data(QUOTE, wanted))["quote"]
    assert quote["cost"] is None
    assert quote["refusal"], quote
    fields = {"serviceId": wanted["id"], "quantity": wanted["quantity"], "link": wanted["link"],
              "details": wanted["details"]}  # fmt: skip
    refused = (await api(keys.admin).data(PLACE, {"input": fields}))["placeOrder"]
    assert refused["__typename"] != "PlaceOrderSuccess"
    assert refused["message"] == quote["refusal"], "quoted in placement's words"
