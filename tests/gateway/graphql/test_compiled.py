"""The compiled executor answers exactly as the normal one: each query here runs both ways
(compare mode, see conftest) and the test fails on any difference; these also check that the
compiled path was taken, and what the answers say."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.core import Gateway
from gateway.graphql.compiled_compare import COMPARED
from gateway.graphql.pagination import encode_cursor
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory

PAGE = """
query Page($first: Int, $after: String, $withRate: Boolean!, $skipName: Boolean!) {
  services(first: $first, after: $after) {
    __typename
    total: totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        ...Basics
        ... on Service { platform metric type }
        name @skip(if: $skipName)
        label: name
        price: rate @include(if: $withRate) { amount currency __typename }
        rate { amount }
        rate { currency }
        refill refillKind refillDays cancel dripFeed geo providerCount
      }
    }
    nodes { id min max }
  }
}
fragment Basics on Service { id __typename min max }
"""


def _variables(**given: Any) -> dict[str, Any]:
    return {"first": 7, "after": None, "withRate": True, "skipName": False, **given}


async def test_a_page_with_aliases_fragments_and_directives(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    COMPARED.clear()
    answer = await api(keys.ops).execute(PAGE, _variables())
    assert "errors" not in answer
    page = answer["data"]["services"]
    assert page["__typename"] == "ServiceConnection"
    snapshot = await gw.catalog.snapshot()
    assert page["total"] == len(snapshot.groups)
    first = page["edges"][0]
    assert first["cursor"] == encode_cursor("svc", 0)
    node = first["node"]
    assert list(node) == [
        "id", "__typename", "min", "max", "platform", "metric", "type", "name", "label",
        "price", "rate", "refill", "refillKind", "refillDays", "cancel", "dripFeed", "geo",
        "providerCount",
    ]  # fmt: skip
    group = snapshot.groups[node["id"]]
    assert node["rate"] == {"amount": f"{group.cheapest.rate:f}", "currency": "USD"}
    assert node["price"]["__typename"] == "Money"
    assert Decimal(node["rate"]["amount"]) == group.cheapest.rate
    assert node["min"] == str(group.min)
    assert node["max"] == str(group.max)
    assert node["providerCount"] == len(group.providers)
    assert [n["id"] for n in page["nodes"]] == [e["node"]["id"] for e in page["edges"]]
    assert "Page" in COMPARED


async def test_skip_and_include_by_variables(api: ApiFactory, keys: Keys) -> None:
    COMPARED.clear()
    answer = await api(keys.ops).execute(PAGE, _variables(withRate=False, skipName=True))
    node = answer["data"]["services"]["edges"][0]["node"]
    assert "price" not in node
    assert "name" not in node
    assert "label" in node
    assert "Page" in COMPARED


async def test_cursors_continue_where_the_page_ended(api: ApiFactory, keys: Keys) -> None:
    first = (await api(keys.ops).data(PAGE, _variables()))["services"]
    after = first["pageInfo"]["endCursor"]
    second = (await api(keys.ops).data(PAGE, _variables(after=after)))["services"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["edges"][0]["cursor"] == encode_cursor("svc", 7)
    assert {e["node"]["id"] for e in first["edges"]}.isdisjoint(
        e["node"]["id"] for e in second["edges"]
    )


async def test_a_guarded_field_for_a_client_key_is_null_with_an_error(
    api: ApiFactory, keys: Keys
) -> None:
    COMPARED.clear()
    answer = await api(keys.reader).execute(PAGE, _variables(first=3))
    edges = answer["data"]["services"]["edges"]
    assert all(e["node"]["providerCount"] is None for e in edges)
    assert all(e["node"]["rate"]["amount"] for e in edges)
    errors = answer["errors"]
    assert len(errors) == 3
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert errors[0]["path"] == ["services", "edges", 0, "node", "providerCount"]
    assert "Page" in COMPARED


async def test_errors_and_nulls_as_the_specification_gives_them(
    api: ApiFactory, keys: Keys
) -> None:
    bad = await api(keys.ops).execute(PAGE, _variables(after="not a cursor"))
    assert bad["data"] is None or bad["data"]["services"] is None
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    keyless = await api(None).execute(PAGE, _variables())
    assert keyless["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    one = """query One($id: Int!) { service(id: $id) { id geo refillDays name } }"""
    assert (await api(keys.ops).data(one, {"id": 99_999_999}))["service"] is None


async def test_the_same_field_twice_and_an_empty_page(api: ApiFactory, keys: Keys) -> None:
    query = """query Twice($first: Int) {
      services(first: $first) { edges { node { id id rate { amount } r: rate { amount } } } }
      again: services(first: 0) { totalCount edges { cursor } pageInfo { endCursor } }
    }"""
    data = await api(keys.ops).data(query, {"first": 2})
    node = data["services"]["edges"][0]["node"]
    assert list(node) == ["id", "rate", "r"]
    assert node["rate"] == node["r"]
    assert data["again"]["edges"] == []
    assert data["again"]["pageInfo"]["endCursor"] is None
