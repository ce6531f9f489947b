"""A client key sees the unified catalog and its own orders, nothing of the providers behind them;
ops and admin keys see the providers, their costs and the routing candidates."""

from __future__ import annotations

from typing import Any

from gateway.core import Gateway
from gateway.graphql.order_types import UNCONFIRMED_TEXT
from providers.simulator import Fault, FaultKind
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import ORDER_FIELDS, order_input, place, shared_group
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio

PROVIDER_NAMES = ("alpha", "beta", "gamma")

ORDER = """query($id: Int!) { order(id: $id) { ORDER_FIELDS history { kind } } }""".replace(
    "ORDER_FIELDS", ORDER_FIELDS
)
QUOTE = """query($id: Int!, $quantity: BigInt, $link: String) {
  quote(serviceId: $id, quantity: $quantity, link: $link) {
    ... on Quote { service { id name rate { amount currency } } quantity cost { amount } } } }"""

# Each of these selects one field that names a provider or a wholesale cost.
OPERATOR_SELECTIONS = {
    "order.provider": "query($id: Int!) { order(id: $id) { id provider } }",
    "order.charge": "query($id: Int!) { order(id: $id) { id charge { amount } } }",
    "service.members": "query($s: Int!) { service(id: $s) { id members { provider } } }",
    "service.providerCount": "query($s: Int!) { service(id: $s) { id providerCount } }",
    "quote.chosen": "query($s: Int!, $q: BigInt, $l: String) { quote(serviceId: $s, "
    "quantity: $q, link: $l) { ... on Quote { cost { amount } chosen { provider } } } }",
    "quote.candidates": "query($s: Int!, $q: BigInt, $l: String) { quote(serviceId: $s, "
    "quantity: $q, link: $l) { ... on Quote { candidates { providerCost { amount } } } } }",
    "quote.excluded": "query($s: Int!, $q: BigInt, $l: String) { quote(serviceId: $s, "
    "quantity: $q, link: $l) { ... on Quote { excluded { reason } } } }",
}


async def _variables(api: ApiFactory, keys: Keys, gw: Gateway) -> dict[str, Any]:
    group = await shared_group(gw)
    payload = await place(api(keys.alice), group)
    assert payload["__typename"] == "PlaceOrderSuccess", payload
    fields = order_input(group)
    return {
        "id": payload["order"]["id"], "s": group.id, "q": fields["quantity"],
        "l": fields["link"],
    }  # fmt: skip


def _used(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in variables.items() if f"${k}:" in query}


async def test_client_keys_get_forbidden_on_every_operator_field(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    variables = await _variables(api, keys, gw)
    for name, query in OPERATOR_SELECTIONS.items():
        used = _used(query, variables)
        for client in (keys.alice, keys.reader):
            answer = await api(client).execute(query, used)
            codes = [e["extensions"]["code"] for e in answer.get("errors", [])]
            assert codes == ["FORBIDDEN"], (name, answer)
            assert answer["errors"][0]["extensions"]["scope"] == "ops"
            text = str(answer["data"])
            assert not [p for p in PROVIDER_NAMES if p in text], (name, answer)
        assert await api(keys.ops).error_codes(query, used) == [], name
        assert await api(keys.admin).error_codes(query, used) == [], name


async def test_what_a_client_may_read_names_no_provider(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    variables = await _variables(api, keys, gw)
    alice = api(keys.alice)
    order = await alice.execute(ORDER, {"id": variables["id"]})
    assert "errors" not in order, order
    assert order["data"]["order"]["cost"]["amount"]
    quote = await alice.execute(QUOTE, {"id": variables["s"], "quantity": variables["q"],
                                        "link": variables["l"]})  # fmt: skip
    assert "errors" not in quote, quote
    assert quote["data"]["quote"]["cost"]["amount"]
    for answer in (order, quote):
        assert not [p for p in PROVIDER_NAMES if p in str(answer)], answer


async def test_a_client_cannot_filter_the_catalog_by_provider(api: ApiFactory, keys: Keys) -> None:
    query = 'query { services(filter: {provider: "alpha"}) { totalCount } }'
    assert await api(keys.reader).error_codes(query) == ["FORBIDDEN"]
    assert await api(keys.ops).error_codes(query) == []
    found = await api(keys.ops).data(query)
    assert found["services"]["totalCount"] > 0


async def test_placement_refusals_name_no_provider_for_a_client(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    # More than every member together could take: not even a split order can place it.
    huge = sum(m.service.max for m in group.members) + 1
    mutation = """mutation($input: OrderInput!) { placeOrder(input: $input) { __typename
      ... on NoEligibleProviderError { exclusions { reason message provider } } } }"""
    given = {"input": {**order_input(group), "quantity": str(huge)}}
    answer = await api(keys.alice).execute(mutation, given)
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    exclusions = answer["data"]["placeOrder"]["exclusions"]
    assert exclusions
    assert all(e["provider"] is None for e in exclusions)
    assert {e["reason"] for e in exclusions} == {"QUANTITY_ABOVE_MAX"}


async def test_a_client_reads_no_panel_words_in_its_orders_error(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    secret_words = "backend db-7 at panel host 10.1.2.3 refused"
    for sim in trio.sims.values():
        sim.faults.add(Fault(FaultKind.ERROR, actions=frozenset({"add"}),
                             params={"text": secret_words}))  # fmt: skip
    group = await shared_group(gw)
    payload = await place(api(keys.alice), group)
    assert payload["__typename"] == "AmbiguousOrderError", payload
    order_id = payload["order"]["id"]
    query = "query($id: Int!) { order(id: $id) { status error } }"
    mine = (await api(keys.alice).data(query, {"id": order_id}))["order"]
    assert mine["status"] == "UNCONFIRMED"
    assert mine["error"] == UNCONFIRMED_TEXT
    operator = (await api(keys.admin).data(query, {"id": order_id}))["order"]
    assert secret_words in operator["error"]


async def test_an_operator_reads_the_routing_decision_in_an_orders_history(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    variables = await _variables(api, keys, gw)
    query = "query($id: Int!) { order(id: $id) { provider history { kind details } } }"
    order = (await api(keys.admin).data(query, {"id": variables["id"]}))["order"]
    details = [entry["details"] for entry in order["history"] if entry["details"]]
    candidates = next(d["candidates"] for d in details if "candidates" in d)
    assert candidates
    assert set(candidates) <= set(PROVIDER_NAMES)
    assert order["provider"] in candidates, "the provider that took it was a candidate"
    mine = await api(keys.alice).execute(query.replace("provider ", ""), {"id": variables["id"]})
    assert {e["extensions"]["code"] for e in mine["errors"]} == {"FORBIDDEN"}
    assert not [p for p in PROVIDER_NAMES if p in str(mine["data"])]
