"""Quotes of a quantity above every provider's maximum over GraphQL: priced in the parts placement
splits it into (their providers for operators only; a client account's key reads its own prices,
never the providers' costs), and a quantity placement would refuse says why in placement's
words. The real app on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.catalog import Group
from gateway.core import Gateway
from gateway.orders.split_plan import split_most
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Api, ApiFactory
from tests.gateway.graphql.test_accounts import account_key, funded
from tests.gateway.panels import shared_group

QUOTE = """query($id: Int!, $quantity: BigInt, $link: String) {
  quote(serviceId: $id, quantity: $quantity, link: $link) { __typename
    ... on Quote { quantity cost { amount currency } refusal
                   parts { quantity cost { amount currency } } }
    ... on UserError { message code } } }"""
PARTS_CHOSEN = """query($id: Int!, $quantity: BigInt, $link: String) {
  quote(serviceId: $id, quantity: $quantity, link: $link) {
    ... on Quote { parts { chosen { provider cost { amount } providerCost { amount } } } } } }"""
PLACE = """mutation($input: OrderInput!) { placeOrder(input: $input) { __typename
  ... on PlaceOrderSuccess { order { id cost { amount currency } } }
  ... on UserError { message code } } }"""


def order(group: Group, quantity: int, n: int = 0) -> dict[str, Any]:
    return {"id": group.id, "quantity": str(quantity), "link": f"https://instagram.com/p/sq{n}"}


def too_many(group: Group) -> int:
    """Above every member's maximum, within what two providers take between them."""
    return max(m.service.max for m in group.members) + 2000


async def place(api: Api, wanted: dict[str, Any]) -> dict[str, Any]:
    fields = {"serviceId": wanted["id"], "quantity": wanted["quantity"], "link": wanted["link"]}
    payload: dict[str, Any] = (await api.data(PLACE, {"input": fields}))["placeOrder"]
    return payload


async def test_an_operator_quote_prices_the_parts_placement_makes(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    wanted = order(group, too_many(group))
    quote = (await api(keys.ops).data(QUOTE, wanted))["quote"]
    assert quote["__typename"] == "Quote", quote
    assert quote["refusal"] is None
    parts = quote["parts"]
    assert len(parts) >= 2
    assert sum(int(p["quantity"]) for p in parts) == int(wanted["quantity"])
    total = sum((Decimal(p["cost"]["amount"]) for p in parts), Decimal(0))
    assert quote["cost"] == {"amount": f"{total:f}", "currency": "USD"}
    chosen = (await api(keys.ops).data(PARTS_CHOSEN, wanted))["quote"]["parts"]
    providers = [p["chosen"]["provider"] for p in chosen]
    assert len(set(providers)) == len(parts), "one part per provider"
    assert [p["chosen"]["cost"]["amount"] for p in chosen] == [p["cost"]["amount"] for p in parts]

    placed = await place(api(keys.admin), wanted)
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    row = await gw.store.get_order(placed["order"]["id"])
    children = (await gw.store.children_of([row.id]))[row.id]
    assert [int(c.request["quantity"]) for c in children] == [int(p["quantity"]) for p in parts]
    assert [c.provider for c in children] == providers
    assert [c.quoted_cost for c in children] == [Decimal(p["cost"]["amount"]) for p in parts]
    assert row.quoted_cost == total


async def test_a_client_account_is_quoted_its_own_price_for_the_parts(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    admin = api(keys.admin)
    await funded(admin, "shop", "1000", priceList={"markupPercent": "20"})
    shop = api(await account_key(admin, "shop"))
    wanted = order(group, too_many(group), 1)
    wholesale = (await admin.data(QUOTE, wanted))["quote"]
    answer = await shop.execute(PARTS_CHOSEN, wanted)
    assert answer["data"]["quote"]["parts"] == [{"chosen": None}] * len(wholesale["parts"])
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}

    quote = (await shop.data(QUOTE, wanted))["quote"]
    assert quote["refusal"] is None
    parts = quote["parts"]
    assert [p["quantity"] for p in parts] == [p["quantity"] for p in wholesale["parts"]]
    for mine, cost in zip(parts, wholesale["parts"], strict=True):
        # 20% over the part's cost (its rate rounded up to 4 places): never the provider's.
        marked_up = Decimal(cost["cost"]["amount"]) * Decimal("1.2")
        assert marked_up <= Decimal(mine["cost"]["amount"]) < marked_up + Decimal("0.01")
    total = sum((Decimal(p["cost"]["amount"]) for p in parts), Decimal(0))
    assert quote["cost"] == {"amount": f"{total:f}", "currency": "USD"}

    placed = await place(shop, wanted)
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    held = placed["order"]["cost"]
    assert (Decimal(held["amount"]), held["currency"]) == (total, "USD"), "the quoted price"
    row = await gw.store.get_order(placed["order"]["id"])
    assert row.client_price == total
    assert await gw.store.ledger_problems() == []


async def test_a_quantity_placement_refuses_is_quoted_with_its_refusal(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    admin = api(keys.admin)
    await funded(admin, "shop", "1000", priceList={"markupPercent": "20"})
    shop = api(await account_key(admin, "shop"))
    most = split_most(group.members)
    wanted = order(group, most + 1, 2)
    expected = f"Quantity must be between {group.min} and {most}"
    for caller in (api(keys.ops), api(keys.reader), shop):
        quote = (await caller.data(QUOTE, wanted))["quote"]
        assert quote == {"__typename": "Quote", "quantity": str(most + 1), "cost": None,
                         "refusal": expected, "parts": []}  # fmt: skip
    for placer in (admin, shop):
        refused = await place(placer, wanted)
        assert (refused["__typename"], refused["message"]) == ("NoEligibleProviderError", expected)
    # One provider takes an order in range whole: no parts, nothing refused.
    whole = (await shop.data(QUOTE, order(group, group.min, 3)))["quote"]
    assert (whole["parts"], whole["refusal"]) == ([], None)
    assert whole["cost"] is not None
