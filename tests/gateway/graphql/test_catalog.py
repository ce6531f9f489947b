"""Browsing the unified catalog: pages, filters, ordering, money as strings, the response cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import Principal, Scope, principal_of
from gateway.config import Settings
from gateway.core import Gateway
from gateway.graphql.response_cache import ResponseCache
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import SERVICE_FIELDS
from tests.gateway.graphql.server import ApiFactory, serve

SERVICES = """
query Services($filter: ServiceFilter, $orderBy: ServiceOrder, $first: Int, $after: String) {
  services(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { SERVICE_FIELDS providerCount
      members { provider providerServiceId name category type rate { amount currency }
        baseRate { amount currency } min max refill cancel dripFeed } } }
  }
}
""".replace("SERVICE_FIELDS", SERVICE_FIELDS)


async def all_services(api: ApiFactory, key: str, **variables: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        data = await api(key).data(SERVICES, {**variables, "first": 100, "after": after})
        page = data["services"]
        nodes.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_pages_cover_the_whole_catalog_once_cheapest_first(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    nodes = await all_services(api, keys.ops)
    snapshot = await gw.catalog.snapshot()
    assert sorted(n["id"] for n in nodes) == sorted(snapshot.groups)
    rates = [Decimal(n["rate"]["amount"]) for n in nodes]
    assert rates == sorted(rates)
    for node in nodes:
        group = snapshot.groups[node["id"]]
        assert node["providerCount"] == len(group.providers)
        assert node["rate"] == {"amount": str(group.cheapest.rate), "currency": "USD"}
        assert [m["providerServiceId"] for m in node["members"]] == [
            m.service.id for m in group.members
        ]


async def test_page_info_and_default_page_size(api: ApiFactory, keys: Keys) -> None:
    first = (await api(keys.ops).data(SERVICES))["services"]
    assert len(first["edges"]) == 50
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    after = first["pageInfo"]["endCursor"]
    second = (await api(keys.ops).data(SERVICES, {"first": 10, "after": after}))["services"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    ids = {e["node"]["id"] for e in first["edges"]}
    assert not ids & {e["node"]["id"] for e in second["edges"]}


async def test_page_size_is_capped_and_cursors_checked(api: ApiFactory, keys: Keys) -> None:
    reader = api(keys.ops)
    assert await reader.error_codes(SERVICES, {"first": 501}) == ["BAD_USER_INPUT"]
    assert await reader.error_codes(SERVICES, {"first": -1}) == ["BAD_USER_INPUT"]
    assert await reader.error_codes(SERVICES, {"after": "not-a-cursor"}) == ["BAD_USER_INPUT"]
    data = await reader.data(SERVICES, {"first": 500})
    assert len(data["services"]["edges"]) == min(500, data["services"]["totalCount"])


async def test_filters_narrow_the_catalog(api: ApiFactory, keys: Keys) -> None:
    everything = await all_services(api, keys.ops)

    async def matching(**where: Any) -> list[dict[str, Any]]:
        return await all_services(api, keys.ops, filter=where)

    instagram = await matching(platform="INSTAGRAM")
    assert instagram
    assert all(n["platform"] == "INSTAGRAM" for n in instagram)
    likes = await matching(platform="INSTAGRAM", metric="LIKES")
    assert likes
    assert {n["id"] for n in likes} < {n["id"] for n in instagram}
    cheap = await matching(maxRate="0.5")
    assert cheap
    assert all(Decimal(n["rate"]["amount"]) <= Decimal("0.5") for n in cheap)
    gamma = await matching(provider="gamma")
    assert gamma
    assert all(any(m["provider"] == "gamma" for m in n["members"]) for n in gamma)
    for flag in ("refill", "cancel", "dripFeed"):
        yes = await matching(**{flag: True})
        no = await matching(**{flag: False})
        assert yes
        assert no
        assert all(n[flag] for n in yes)
        assert not any(n[flag] for n in no)
        assert len(yes) + len(no) == len(everything)
    followers = await matching(search="FOLLOWERS instagram")
    assert followers
    for node in followers:
        text = " ".join([node["name"], *(m["name"] for m in node["members"])]).lower()
        assert "followers" in text
        assert "instagram" in text
    default = await matching(type="DEFAULT")
    assert all(n["type"] == "DEFAULT" for n in default)
    assert await matching(platform="INSTAGRAM", provider="nobody") == []


async def test_ordering_by_name_and_rate(api: ApiFactory, keys: Keys) -> None:
    by_name = await all_services(api, keys.ops, orderBy={"field": "NAME", "direction": "DESC"})
    names = [n["name"].casefold() for n in by_name]
    assert names == sorted(names, reverse=True)
    by_rate = await all_services(api, keys.ops, orderBy={"field": "RATE", "direction": "DESC"})
    rates = [Decimal(n["rate"]["amount"]) for n in by_rate]
    assert rates == sorted(rates, reverse=True)


async def test_service_by_id(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    group = next(iter((await gw.catalog.snapshot()).groups.values()))
    query = "query($id: Int!) { service(id: $id) { " + SERVICE_FIELDS + " } }"
    found = (await api(keys.ops).data(query, {"id": group.id}))["service"]
    assert found["id"] == group.id
    assert found["name"] == group.name
    assert found["min"] == str(group.min)
    assert found["max"] == str(group.max)
    assert (await api(keys.ops).data(query, {"id": 99_999_999}))["service"] is None


async def test_decimal_inputs_must_be_exact(api: ApiFactory, keys: Keys) -> None:
    reader = api(keys.ops)
    query = "query($r: Decimal) { services(filter: {maxRate: $r}) { totalCount } }"
    answer = await reader.execute(query, {"r": 0.5})
    assert "strings" in answer["errors"][0]["message"]
    assert (await reader.data(query, {"r": "0.5"}))["services"]["totalCount"] > 0
    literal = "{ services(filter: {maxRate: 0.5}) { totalCount } }"
    assert (await reader.data(literal))["services"]["totalCount"] > 0
    for answer in (
        await reader.execute(query, {"r": "5e-1"}),
        await reader.execute(literal.replace("0.5", "5e-1")),
    ):
        assert answer.get("data") is None, answer
        assert "without an exponent" in answer["errors"][0]["message"], answer


@pytest.fixture
async def quiet_api(
    settings: Settings, gw: Gateway, http: httpx.AsyncClient
) -> AsyncIterator[ApiFactory]:
    """A server without background jobs: no catalog refresh can land between two requests."""
    async with serve(create_app(settings, gateway=gw, background=False)) as running:
        yield ApiFactory(http, running.graphql_url)


async def test_catalog_answers_are_cached_until_a_sync(
    quiet_api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    api = quiet_api
    body = {"query": SERVICES, "variables": {"first": 20}}
    reader = api(keys.ops)
    first = await reader.post(SERVICES, {"first": 20})
    cache = ResponseCache(ttl=60)
    row = await gw.store.verify_api_key(keys.ops)
    assert row is not None
    key = cache.key(body, principal_of(row))
    assert key is not None
    _, hit = await cache.lookup(gw, key)
    assert hit == first.content
    again = await reader.post(SERVICES, {"first": 20})
    assert again.content == first.content

    admin_key = cache.key(body, principal_of(await gw.store.verify_api_key(keys.admin)))  # type: ignore[arg-type]
    assert admin_key != key, "the caller's scopes are part of the key"

    synced = await api(keys.admin).data("mutation { syncCatalog { serviceCount } }")
    assert synced["syncCatalog"]["serviceCount"] > 0
    _, hit = await cache.lookup(gw, key)
    assert hit is None, "a catalog sync invalidates cached answers"
    assert (await reader.post(SERVICES, {"first": 20})).json() == first.json()


def test_only_catalog_queries_are_cached() -> None:
    cache = ResponseCache(ttl=60)
    reader = Principal("c", frozenset({Scope.READ}))

    def key(query: str, who: Principal | None = reader) -> str | None:
        return cache.key({"query": query}, who)

    assert key("{ services { totalCount } }", None) is None, "anonymous answers are errors"
    assert key("{ services { totalCount } }") is not None
    assert key("{ service(id: 1) { id } __typename }") is not None
    assert key("{ services { totalCount } orders { edges { cursor } } }") is None
    assert key("mutation { syncCatalog { serviceCount } }") is None
    assert key("{ ...F } fragment F on Query { services { totalCount } }") is None
    assert key("{ services {") is None
