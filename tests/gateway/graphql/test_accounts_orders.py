"""A client account's key over GraphQL: its own rates in the catalog and in quotes, orders placed
on its funds (the price held, then charged), and refusals as typed payloads that place nothing:
no funds, suspended, over a spend cap, a service its minimum margin rules out. The ledger adds up
after every test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pytest

from gateway.catalog import Group, listed_rate
from gateway.core import Gateway
from providers.models import ServiceType
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import PLACE, order_input, shared_group
from tests.gateway.graphql.server import Api, ApiFactory
from tests.gateway.graphql.test_accounts import SUSPEND, account_key, funded
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses

SERVICE = "query($id: Int!) { service(id: $id) { id rate { amount currency } } }"
SERVICES = """query($max: Decimal) {
  services(first: 500, filter: {maxRate: $max}) { totalCount nodes { id rate { amount } } } }"""
QUOTE = """query($id: Int!, $quantity: BigInt, $link: String) {
  quote(serviceId: $id, quantity: $quantity, link: $link) {
    __typename ... on Quote { cost { amount currency } } ... on UserError { message code } } }"""
MINE = """{ viewer { account { balance held spendToday
  movements { edges { node { kind orderId } } } } } }"""
ORDER = """query($id: Int!) { order(id: $id) {
  id status cost { amount currency } charge { amount currency } service { id } } }"""


@pytest.fixture(autouse=True)
async def ledger_adds_up(gw: Gateway) -> AsyncIterator[None]:
    yield
    assert await gw.store.ledger_problems() == []


def up(amount: Decimal) -> Decimal:
    """Rounded up to 4 places, as client prices are."""
    return amount.quantize(Decimal("0.0001"), rounding=ROUND_CEILING)


def marked_up(group: Group, percent: str) -> Decimal:
    """The cheapest member's rate marked up by `percent`: the client rate of an order every
    member takes (`order_input`)."""
    return up(group.members[0].rate * (1 + Decimal(percent) / 100))


def listed(group: Group, percent: str) -> Decimal:
    """The rate the group is listed at for the client: its listed cost (what its dearest order
    in range costs) marked up by `percent`."""
    return up(listed_rate(group.members) * (1 + Decimal(percent) / 100))


def price(group: Group, rate: Decimal) -> Decimal:
    """What one order of `order_input(group)` costs at `rate` per 1000."""
    return up(rate * Decimal(order_input(group)["quantity"]) / 1000)


async def client(api: ApiFactory, keys: Keys, name: str, funds: str, **fields: Any) -> Api:
    """A funded account `name` and a client of the API with a key of it."""
    admin = api(keys.admin)
    await funded(admin, name, funds, **fields)
    return api(await account_key(admin, name))


async def orders_of(gw: Gateway, client_id: str) -> list[int]:
    return [r.id for r in await gw.store.list_orders(client_id, None, None, 100)]


async def test_an_account_sees_its_own_rates(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    group = await shared_group(gw)
    shop = await client(api, keys, "shop", "50", priceList={"markupPercent": "20"})
    mine = (await shop.data(SERVICE, {"id": group.id}))["service"]["rate"]
    assert mine == {"amount": f"{listed(group, '20'):f}", "currency": "USD"}
    wholesale = (await api(keys.admin).data(SERVICE, {"id": group.id}))["service"]["rate"]
    assert Decimal(wholesale["amount"]) == group.members[0].rate

    shown = (await shop.data(SERVICES))["services"]
    snapshot = await gw.catalog.snapshot()
    for node in shown["nodes"]:
        expected = listed(snapshot.groups[node["id"]], "20")
        assert Decimal(node["rate"]["amount"]) == expected, node
    rates = [Decimal(n["rate"]["amount"]) for n in shown["nodes"]]
    assert rates == sorted(rates)
    # maxRate filters on the account's own rates.
    cap = rates[len(rates) // 2]
    capped = (await shop.data(SERVICES, {"max": f"{cap:f}"}))["services"]["nodes"]
    assert capped
    assert all(Decimal(n["rate"]["amount"]) <= cap for n in capped)
    assert len(capped) < shown["totalCount"]

    fields = order_input(group)
    quote = (await shop.data(QUOTE, {"id": group.id, **fields}))["quote"]
    assert quote["cost"] == {"amount": f"{price(group, marked_up(group, '20')):f}",
                             "currency": "USD"}  # fmt: skip


async def test_an_order_holds_then_charges_the_client_price(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    shop = await client(api, keys, "shop", "50", priceList={"markupPercent": "10"})
    placed = (await shop.data(PLACE, {"input": order_input(group)}))["placeOrder"]
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    order_id = placed["order"]["id"]
    held = price(group, marked_up(group, "10"))
    assert placed["order"]["cost"] == {"amount": f"{held:f}", "currency": "USD"}
    order = (await shop.data(ORDER, {"id": order_id}))["order"]
    assert order["charge"] == {"amount": f"{held:f}", "currency": "USD"}
    mine = (await shop.data(MINE))["viewer"]["account"]
    assert (Decimal(mine["balance"]), Decimal(mine["held"])) == (50 - held, held)
    assert Decimal(mine["spendToday"]) == held
    assert [e["node"]["kind"] for e in mine["movements"]["edges"]] == ["HOLD", "TOPUP"]
    assert mine["movements"]["edges"][0]["node"]["orderId"] == order_id

    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    row = await gw.store.get_order(order_id)
    assert row.client_charge is not None
    settled = (await shop.data(ORDER, {"id": order_id}))["order"]
    assert settled["charge"] == {"amount": f"{row.client_charge:f}", "currency": "USD"}
    wholesale = (await api(keys.admin).data(ORDER, {"id": order_id}))["order"]["charge"]
    assert wholesale is not None
    assert Decimal(wholesale["amount"]) == row.charge
    report = await api(keys.ops).data("{ marginReport { account orders revenue cost margin } }")
    [line] = report["marginReport"]
    assert (line["account"], line["orders"]) == ("shop", 1)
    assert Decimal(line["revenue"]) == row.client_charge
    assert Decimal(line["margin"]) == Decimal(line["revenue"]) - Decimal(line["cost"])


async def refused(shop: Api, group: Group) -> dict[str, Any]:
    placed: dict[str, Any] = (await shop.data(PLACE, {"input": order_input(group)}))["placeOrder"]
    return placed


async def test_an_order_shows_the_count_its_price_is_counted_from(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    shop = await client(api, keys, "shop", "50", priceList={"markupPercent": "20"})
    groups = (await gw.catalog.snapshot()).groups.values()

    def of_type(kind: ServiceType, count: int) -> Group:
        return next(
            g for g in groups
            if g.type is kind and all(m.service.min <= count <= m.service.max for m in g.members)
        )  # fmt: skip

    comments = [f"Lovely shot {i}" for i in range(11)]
    cases: list[tuple[ServiceType, dict[str, Any], int, str | None]] = [
        (ServiceType.CUSTOM_COMMENTS, {"comments": comments}, 11, "11"),
        (ServiceType.MENTIONS, {"usernames": ["ann", "bo", "cy"]}, 3, "3"),
        (ServiceType.PACKAGE, {}, 1, None),  # no count: one flat price
        # No count either: from min to max on each new post (the hold is counted from max).
        (ServiceType.SUBSCRIPTIONS, {"username": "tour_shop", "min": 100, "max": 200}, 200, None),
    ]
    for n, (kind, details, count, shown) in enumerate(cases):
        group = of_type(kind, count)
        given: dict[str, Any] = {"serviceId": group.id}
        if kind is not ServiceType.SUBSCRIPTIONS:
            given["link"] = f"https://instagram.com/p/{n}"
        placed = await shop.data(PLACE, {"input": {**given, "details": details or None}})
        order = placed["placeOrder"]["order"]
        assert order["quantity"] == shown, (kind, order)
        again = await shop.data("query($id: Int!) { order(id: $id) { quantity } }",
                                {"id": order["id"]})  # fmt: skip
        assert again["order"]["quantity"] == shown
        if shown is not None:  # the hold is the listed rate times that count
            expected = up(marked_up(group, "20") * count / 1000)
            assert Decimal(order["cost"]["amount"]) == expected, (kind, order)


async def test_refusals_are_typed_and_place_nothing(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    adds = trio.calls("add")
    one = price(group, marked_up(group, "0"))

    poor = await client(api, keys, "poor", "0.0001")
    answer = await refused(poor, group)
    assert answer == {
        "__typename": "InsufficientFundsError", "message": "Not enough funds on balance",
        "code": "INSUFFICIENT_FUNDS", "failedOrder": None, "exclusions": [],
    }  # fmt: skip

    capped = await client(
        api, keys, "capped", "100", spendCapDay=f"{(one / 2).quantize(Decimal('0.0001')):f}"
    )
    answer = await refused(capped, group)
    assert (answer["__typename"], answer["code"]) == ("AccountRefusedError", "SPEND_CAP_REACHED")
    assert answer["message"] == "Daily spend limit reached"

    idle = await client(api, keys, "idle", "100")
    await api(keys.admin).data(SUSPEND, {"name": "idle"})
    answer = await refused(idle, group)
    assert (answer["__typename"], answer["code"]) == ("AccountRefusedError", "ACCOUNT_SUSPENDED")

    assert trio.calls("add") == adds
    for name in ("poor", "capped", "idle"):
        assert await orders_of(gw, name) == []
    accounts = (await api(keys.ops).data("{ accounts { name balance } }"))["accounts"]
    balances = {a["name"]: a["balance"] for a in accounts}
    assert balances == {"poor": "0.0001", "capped": "100", "idle": "100"}


async def test_a_service_below_the_minimum_margin_is_unavailable(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    cheap = f"{up(group.members[0].rate / 2):f}"
    price_list = {"minMarginPercent": "10", "markupPercent": "20",
                  "overrides": [{"serviceId": group.id, "rate": cheap}]}  # fmt: skip
    shop = await client(api, keys, "shop", "100", priceList=price_list)
    adds = trio.calls("add")

    assert (await shop.data(SERVICE, {"id": group.id}))["service"] is None
    listed = (await shop.data(SERVICES))["services"]["nodes"]
    assert group.id not in [n["id"] for n in listed]
    quote = (await shop.data(QUOTE, {"id": group.id, **order_input(group)}))["quote"]
    assert (quote["__typename"], quote["code"]) == ("AccountRefusedError", "SERVICE_UNAVAILABLE")
    answer = await refused(shop, group)
    assert (answer["__typename"], answer["code"]) == ("AccountRefusedError", "SERVICE_UNAVAILABLE")
    assert answer["message"] == "Service is currently unavailable"
    assert trio.calls("add") == adds
    assert await orders_of(gw, "shop") == []

    # Under "reprice" the same list sells at the floor instead.
    await api(keys.admin).data(
        """mutation { updateAccount(name: "shop", input: {marginPolicy: REPRICE}) {
             __typename } }"""
    )
    floor = up(listed_rate(group.members) * Decimal("1.1"))
    rate = (await shop.data(SERVICE, {"id": group.id}))["service"]["rate"]
    assert Decimal(rate["amount"]) == floor
