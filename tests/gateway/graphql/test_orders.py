"""Quotes, placing with an idempotency key, the expected failures as typed payloads, reading
orders page by page, refills and cancels, and isolation between clients."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.core import Gateway
from gateway.orders.outcomes import TRY_LATER
from gateway.orders.split_plan import split_most
from providers.simulator import Fault, FaultKind
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import ORDER_FIELDS, order_input, place, shared_group
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses

QUOTE = """
query Quote($id: Int!, $quantity: BigInt, $link: String, $needs: [Need!]) {
  quote(serviceId: $id, quantity: $quantity, link: $link, needs: $needs) {
    __typename
    ... on Quote {
      service { id } quantity cost { amount currency }
      chosen { rank provider }
      candidates { rank provider offer { id providerServiceId } cost { amount currency }
                   providerCost { amount currency } }
      excluded { provider reason message detail }
    }
    ... on UserError { message code }
  }
}
"""

ORDER = """
query($id: Int!) {
  order(id: $id) { ORDER_FIELDS service { id name } history { at kind fromStatus toStatus }
                   refills { id orderId status statusRaw } }
}
""".replace("ORDER_FIELDS", ORDER_FIELDS)

ORDERS = """
query($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id clientId status service { id } history { kind } refills { id } } }
  }
}
"""


async def test_quote_ranks_every_able_provider(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    group = await shared_group(gw)
    fields = order_input(group)
    data = await api(keys.ops).data(
        QUOTE, {"id": group.id, "quantity": fields["quantity"], "link": fields["link"]}
    )
    quote = data["quote"]
    assert quote["__typename"] == "Quote"
    expected = await gw.quote(group.id, {"link": fields["link"], "quantity": fields["quantity"]})
    assert [c["provider"] for c in quote["candidates"]] == [
        c.offer.provider for c in expected.candidates
    ]
    assert [c["rank"] for c in quote["candidates"]] == list(range(1, len(expected.candidates) + 1))
    assert quote["chosen"]["rank"] == 1
    assert expected.chosen is not None
    assert quote["cost"] == {"amount": str(expected.chosen.cost.amount), "currency": "USD"}
    costs = [Decimal(c["cost"]["amount"]) for c in quote["candidates"]]
    assert costs == sorted(costs)


async def test_quote_explains_what_cannot_be_done(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    reader = api(keys.ops)
    group = await shared_group(gw)
    link = "https://x.com/a"
    unknown = (await reader.data(QUOTE, {"id": 99_999_999, "quantity": 10, "link": link}))["quote"]
    assert unknown["__typename"] == "NotFoundError"
    assert unknown["code"] == "SERVICE_NOT_FOUND"
    invalid = (await reader.data(QUOTE, {"id": group.id, "quantity": 1000}))["quote"]
    assert invalid["__typename"] == "ValidationError"
    assert "link" in invalid["message"]
    # Above what the providers take between them, split a part each: placement refuses it.
    huge = split_most(group.members) + 1
    too_many = await reader.data(QUOTE, {"id": group.id, "quantity": str(huge), "link": link})
    quote = too_many["quote"]
    assert quote["__typename"] == "Quote"
    assert quote["chosen"] is None
    assert quote["cost"] is None
    assert {e["reason"] for e in quote["excluded"]} == {"QUANTITY_ABOVE_MAX"}
    assert all(e["message"] == "quantity above the service's maximum" for e in quote["excluded"])


async def test_place_an_order_and_read_it_back(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    payload = await place(api(keys.alice), group)
    assert payload["__typename"] == "PlaceOrderSuccess"
    order = payload["order"]
    assert order["status"] == "PENDING"
    assert order["clientId"] == "client-a"
    assert order["serviceId"] == group.id
    assert order["quantity"] == str(order_input(group)["quantity"])
    assert Decimal(order["cost"]["amount"]) > 0
    stored = await gw.store.get_order(order["id"])
    assert stored.provider is not None
    assert trio.sims[stored.provider].panel.order_count == 1

    found = (await api(keys.reader).data(ORDER, {"id": order["id"]}))["order"]
    assert found["id"] == order["id"]
    assert found["service"] == {"id": group.id, "name": group.name}
    assert found["history"][0]["kind"] == "created"
    assert found["history"][-1]["toStatus"] == "PENDING"
    assert found["refills"] == []


async def test_an_idempotency_key_places_once(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    alice = api(keys.alice)
    first = await place(alice, group, key="checkout-1")
    again = await place(alice, group, key="checkout-1")
    assert first["order"]["id"] == again["order"]["id"]
    assert sum(trio.calls("add").values()) == 1
    conflict = await place(alice, group, n=2, key="checkout-1")
    assert conflict["__typename"] == "IdempotencyError"
    assert conflict["code"] == "IDEMPOTENCY_CONFLICT"
    too_long = await place(alice, group, key="k" * 201)
    assert too_long["__typename"] == "ValidationError"
    assert too_long["field"] == "idempotencyKey"


async def test_expected_placement_failures_are_typed(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    alice = api(keys.alice)
    group = await shared_group(gw)
    from tests.gateway.graphql.helpers import PLACE

    async def placing(**changes: Any) -> dict[str, Any]:
        data = await alice.data(PLACE, {"input": {**order_input(group), **changes}})
        payload: dict[str, Any] = data["placeOrder"]
        return payload

    unknown = await placing(serviceId=99_999_999)
    assert (unknown["__typename"], unknown["id"]) == ("NotFoundError", 99_999_999)
    invalid = await placing(link=None)
    assert (invalid["__typename"], invalid["code"]) == ("ValidationError", "INVALID_ORDER")
    huge = await placing(quantity=str(10**15))
    assert huge["__typename"] == "NoEligibleProviderError"
    assert {e["reason"] for e in huge["exclusions"]} == {"QUANTITY_ABOVE_MAX"}
    # Above every member's maximum an order is split, a part per provider: the most it may be
    # is the sum of each provider's largest maximum, as /api/v2 says.
    largest = {p: max(m.service.max for m in group.members if m.provider == p)
               for p in group.providers}  # fmt: skip
    low = min(m.service.min for m in group.members)
    assert huge["message"] == f"Quantity must be between {low} and {sum(largest.values())}"

    ranked = [
        c.offer.provider for c in (await gw.quote(group.id, order_input_fields(group))).candidates
    ]
    trio.sims[ranked[0]].faults.add(Fault(FaultKind.DROP, actions=frozenset({"add"})))
    ambiguous = await placing(link="https://instagram.com/p/ambiguous")
    assert ambiguous["__typename"] == "AmbiguousOrderError"
    assert ambiguous["order"]["status"] == "UNCONFIRMED"
    trio.sims[ranked[0]].faults.clear()

    for sim in trio.sims.values():
        sim.panel.set_account(sim.key or "", Decimal(0))
    broke = await placing(link="https://instagram.com/p/broke")
    assert broke["__typename"] == "InsufficientFundsError"
    assert broke["code"] == "INSUFFICIENT_FUNDS"
    assert broke["failedOrder"]["status"] == "FAILED"


def order_input_fields(group: Any) -> dict[str, Any]:
    fields = order_input(group)
    return {"link": fields["link"], "quantity": fields["quantity"]}


async def test_orders_come_page_by_page_newest_first(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    alice = api(keys.alice)
    placed = [(await place(alice, group, n=i))["order"]["id"] for i in range(5)]
    seen: list[int] = []
    after = None
    while True:
        page = (await alice.data(ORDERS, {"first": 2, "after": after}))["orders"]
        seen.extend(e["node"]["id"] for e in page["edges"])
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == placed[::-1]
    pending = await alice.data(ORDERS, {"filter": {"statuses": ["PENDING"]}})
    assert {e["node"]["id"] for e in pending["orders"]["edges"]} == set(placed)
    done = await alice.data(ORDERS, {"filter": {"statuses": ["COMPLETED"]}})
    assert done["orders"]["edges"] == []


async def test_clients_see_only_their_own_orders(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    group = await shared_group(gw)
    mine = (await place(api(keys.alice), group))["order"]["id"]
    theirs = (await place(api(keys.bob), group, n=1))["order"]["id"]

    def ids(data: dict[str, Any]) -> set[int]:
        return {e["node"]["id"] for e in data["orders"]["edges"]}

    assert ids(await api(keys.alice).data(ORDERS)) == {mine}
    assert ids(await api(keys.reader).data(ORDERS)) == {mine}, "same client, read-only key"
    assert ids(await api(keys.bob).data(ORDERS)) == {theirs}
    peek = {"filter": {"clientId": "client-a"}}
    assert ids(await api(keys.bob).data(ORDERS, peek)) == set()
    assert (await api(keys.bob).data(ORDER, {"id": mine}))["order"] is None
    assert ids(await api(keys.admin).data(ORDERS)) == {mine, theirs}
    assert ids(await api(keys.admin).data(ORDERS, peek)) == {mine}
    assert (await api(keys.admin).data(ORDER, {"id": mine}))["order"]["clientId"] == "client-a"

    refused = await api(keys.bob).data(REFILL, {"ids": [mine]})
    assert refused["refillOrders"]["results"][0]["__typename"] == "NotFoundError"
    refused = await api(keys.bob).data(CANCEL, {"ids": [mine]})
    assert refused["cancelOrders"]["results"][0]["__typename"] == "NotFoundError"


REFILL = """
mutation($ids: [Int!]!) {
  refillOrders(ids: $ids) { results { __typename
    ... on RefillRequested { order { id status } refill { id orderId status } }
    ... on UserError { message code }
    ... on NotFoundError { id }
    ... on ActionRefusedError { order { id } } } }
}
"""

CANCEL = """
mutation($ids: [Int!]!) {
  cancelOrders(ids: $ids) { results { __typename
    ... on CancelRequested { order { id status } }
    ... on UserError { message code }
    ... on NotFoundError { id }
    ... on ActionRefusedError { order { id } } } }
}
"""


async def test_refill_and_cancel(api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio) -> None:
    from tests.gateway.graphql.helpers import PLACE

    group = await shared_group(gw, refill=True, cancel=True)
    alice = api(keys.alice)

    async def placed(n: int) -> int:
        data = await alice.data(
            PLACE, {"input": {**order_input(group, n), "needs": ["REFILL", "CANCEL"]}}
        )
        assert data["placeOrder"]["__typename"] == "PlaceOrderSuccess", data
        order_id: int = data["placeOrder"]["order"]["id"]
        return order_id

    kept, dropped = await placed(1), await placed(2)
    canceled = (await alice.data(CANCEL, {"ids": [dropped, 424242]}))["cancelOrders"]["results"]
    assert canceled[0]["__typename"] == "CancelRequested"
    assert canceled[1] == {
        "__typename": "NotFoundError", "message": "unknown order 424242",
        "code": "ORDER_NOT_FOUND", "id": 424242,
    }  # fmt: skip

    early = (await alice.data(REFILL, {"ids": [kept]}))["refillOrders"]["results"][0]
    assert early["__typename"] == "ActionRefusedError"
    assert early["code"] == "REFILL_REFUSED"

    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    refilled = (await alice.data(REFILL, {"ids": [kept]}))["refillOrders"]["results"][0]
    assert refilled["__typename"] == "RefillRequested", refilled
    assert refilled["refill"]["orderId"] == kept
    assert refilled["refill"]["status"] == "PENDING"
    order = (await alice.data(ORDER, {"id": kept}))["order"]
    assert order["status"] in ("COMPLETED", "PARTIAL")
    assert (await gw.store.get_order(kept)).charge is not None
    assert [r["id"] for r in order["refills"]] == [refilled["refill"]["id"]]
    assert (await alice.data(ORDER, {"id": dropped}))["order"]["status"] == "CANCELED"

    late = (await alice.data(CANCEL, {"ids": [kept]}))["cancelOrders"]["results"][0]
    assert (late["__typename"], late["code"]) == ("ActionRefusedError", "CANCEL_REFUSED")
    codes = await alice.error_codes(REFILL, {"ids": list(range(1, 102))})
    assert codes == ["BAD_USER_INPUT"]


REFUSED = """
mutation($ids: [Int!]!) {
  cancelOrders(ids: $ids) { results { ... on ActionRefusedError { message code } } }
}
"""


async def test_a_refused_cancel_is_told_to_a_client_without_the_panels_words(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw, refill=True, cancel=True)
    placed = (await place(api(keys.alice), group, 1))["order"]["id"]
    row = await gw.store.get_order(placed)
    assert row.provider is not None
    trio.sims[row.provider].faults.add(
        Fault(FaultKind.ERROR, actions=frozenset({"cancel"}), params={"text": "Invalid API key"})
    )
    [client] = (await api(keys.alice).data(REFUSED, {"ids": [placed]}))["cancelOrders"]["results"]
    assert client == {"message": TRY_LATER, "code": "CANCEL_REFUSED"}
    [ops] = (await api(keys.admin).data(REFUSED, {"ids": [placed]}))["cancelOrders"]["results"]
    assert ops == {"message": "Invalid API key", "code": "CANCEL_REFUSED"}, "the panel's words"


async def test_a_refused_field_is_named_as_the_input_names_it(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    from tests.gateway.graphql.helpers import PLACE

    alice = api(keys.alice)
    group = await shared_group(gw)
    details = {"answerNumber": 2, "typeOfTraffic": "1"}
    placed = await alice.data(PLACE, {"input": {**order_input(group), "details": details}})
    refusal = placed["placeOrder"]
    assert refusal["__typename"] == "ValidationError"
    assert refusal["message"] == "Default order does not take answerNumber, typeOfTraffic"
    quoted = await alice.data(
        QUOTE.replace("$needs: [Need!]", "$needs: [Need!], $details: OrderDetailsInput").replace(
            "needs: $needs", "needs: $needs, details: $details"
        ),
        {"id": group.id, "quantity": 100, "link": "https://x.com/a", "details": details},
    )
    assert quoted["quote"]["message"] == refusal["message"]
