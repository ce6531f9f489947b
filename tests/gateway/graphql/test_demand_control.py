"""Demand control over the real app: a maximum cost per operation, per-key budgets counted in
cost, mutations counted per field, and a response cache that a respelling cannot bypass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import Principal, Scope
from gateway.config import ApiSection, LimitsSection, Settings
from gateway.core import Gateway
from gateway.graphql.response_cache import ResponseCache
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import order_input, shared_group
from tests.gateway.graphql.server import Api, Server, serve

MEMBERS = "members { id provider name rate { amount currency } baseRate { amount currency } }"


def page(alias: str, first: int, members: bool = False) -> str:
    """A page of services under `alias`, with each service's offers or without."""
    inner = "id name rate { amount currency }" + (f" {MEMBERS}" if members else "")
    return f"{alias}: services(first: {first}) {{ edges {{ node {{ {inner} }} }} }}"


def code(answer: dict[str, Any]) -> str:
    [error] = answer["errors"]
    found: str = error["extensions"]["code"]
    return found


async def test_the_flooding_query_is_refused_with_its_cost(
    server: Server, http: httpx.AsyncClient, keys: Keys, gw: Gateway
) -> None:
    reader = Api(http, server.graphql_url, keys.admin)  # offers are operator data
    flood = "{ " + " ".join(page(f"a{i}", 500, members=True) for i in range(20)) + " }"
    answer = await reader.execute(flood)
    assert answer["data"] is None
    assert code(answer) == "COST_LIMIT"
    extensions = answer["errors"][0]["extensions"]
    # Every service is costed with as many offers as the largest one has.
    largest = max(len(g.members) for g in (await gw.catalog.snapshot()).groups.values())
    # 20 pages x (1 connection + 500 x (edge + node + rate + offers x (offer + two rates))).
    assert extensions["cost"] == 20 * (1 + 500 * (3 + largest * 3))
    assert extensions["maxCost"] == 20_000
    fits = min(500, (20_000 - 1) // (3 + largest * 3))
    one = await reader.data("{ " + page("a", fits, members=True) + " }")
    assert one["a"]["edges"], "a page of as many services with offers as fit is answered"


@pytest.fixture
async def budgeted(settings: Settings, gw: Gateway) -> AsyncIterator[Server]:
    api = ApiSection(graphql_max_cost=1000, graphql_cost_budget="1000/minute")
    limits = LimitsSection(per_key="10/minute")
    tight = settings.model_copy(update={"api": api, "limits": limits})
    # No background jobs: a catalog refresh landing mid-test would (rightly) make the cached
    # answer this module relies on a miss.
    async with serve(create_app(tight, gateway=gw, background=False)) as running:
        yield running


async def test_budgets_count_cost_and_renamed_aliases_pay_again(
    budgeted: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    reader = Api(http, budgeted.graphql_url, keys.reader)
    first = "{ " + page("a0", 100) + " }"  # 1 + 100 x 3 = 301
    assert "errors" not in await reader.execute(first)
    for alias in ("a1", "a2"):
        assert "errors" not in await reader.execute("{ " + page(alias, 100) + " }")
    refused = await reader.execute("{ " + page("a3", 100) + " }")
    assert code(refused) == "RATE_LIMITED"
    extensions = refused["errors"][0]["extensions"]
    assert extensions["cost"] == 301
    assert extensions["remaining"] == 1000 - 3 * 301
    assert extensions["retryAfter"] >= 1
    # Four requests of ten: the budget, not the request count, said no.
    respelled = "# again\n{a0:services(first:100){edges{node{id,name,rate{amount,currency}}}}}"
    cached = await reader.execute(respelled)
    assert "errors" not in cached, "the cache answers a respelling of a cached operation"
    assert cached["data"] == (await reader.execute(first))["data"]
    other = Api(http, budgeted.graphql_url, keys.bob)
    assert "errors" not in await other.execute("{ " + page("b", 100) + " }"), "budgets per key"


async def test_aliased_mutations_count_as_that_many_requests(
    budgeted: Server, http: httpx.AsyncClient, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    alice = Api(http, budgeted.graphql_url, keys.alice)
    fields = " ".join(f"o{i}: placeOrder(input: $i{i}) {{ __typename }}" for i in range(20))
    arguments = ", ".join(f"$i{i}: OrderInput!" for i in range(20))
    many = f"mutation({arguments}) {{ {fields} }}"
    variables = {f"i{i}": order_input(group, i) for i in range(20)}
    refused = await alice.execute(many, variables)
    assert code(refused) == "RATE_LIMITED"
    assert refused["errors"][0]["extensions"]["mutations"] == 20
    assert refused["data"] is None
    assert await gw.store.list_orders("client-a", None, None, 50) == []
    few = many.replace(arguments, ", ".join(f"$i{i}: OrderInput!" for i in range(3)))
    few = few.replace(fields, " ".join(f"o{i}: placeOrder(input: $i{i}) {{ __typename }}"
                                       for i in range(3)))  # fmt: skip
    placed = await alice.data(few, {f"i{i}": variables[f"i{i}"] for i in range(3)})
    assert [placed[f"o{i}"]["__typename"] for i in range(3)] == ["PlaceOrderSuccess"] * 3
    # The door counted both requests; the three fields counted two more (a refused hit counts
    # nothing): 4 of the key's 10 requests are spent, so the seventh query after is refused.
    for _ in range(6):
        assert "errors" not in await alice.execute("{ viewer { clientId } }")
    assert (await alice.post("{ viewer { clientId } }")).status_code == 429


def test_cache_keys_ignore_layout_and_keep_aliases() -> None:
    cache = ResponseCache(ttl=60)
    who = Principal(client_id="c", scopes=frozenset({Scope.READ}), key_id=1, name="k")

    def key(query: str, variables: dict[str, Any] | None = None) -> str | None:
        return cache.key({"query": query, "variables": variables}, who)

    plain = key("{ a: services(first: 5) { totalCount } }")
    assert plain is not None
    assert key("# hi\n{a:services(first:5){totalCount}}") == plain
    assert key("{ b: services(first: 5) { totalCount } }") != plain, "aliases shape the answer"
    query = "query($n: Int, $m: Int) { services(first: $n) { totalCount } }"
    assert key(query, {"n": 1, "m": 2}) == key(query, {"m": 2, "n": 1})
    assert key(query, None) == key(query, {})
