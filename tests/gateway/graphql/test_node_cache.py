"""Completed service nodes are kept per catalog snapshot, selection, scopes and prices
(`gateway.graphql.node_cache`): every answer stays the caller's own. Each request here carries a
variable no other request had, so the response cache never answers and the page is executed;
each is also executed the normal way and compared (see conftest)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from gateway.core import Gateway
from gateway.graphql import GraphQLOptions, build_schema
from gateway.graphql.catalog_view import CatalogViews
from gateway.graphql.context import Context
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Api, ApiFactory, Server
from tests.gateway.graphql.test_accounts_cache import each_sees_its_own_rates
from tests.gateway.panels import Trio

PAGE = """
query Page($first: Int) {
  services(first: $first) { nodes { id name providerCount rate { amount currency } } }
}
"""
RATES = "query Rates($first: Int) { services(first: $first) { nodes { id rate { amount } } } }"
_nonces = itertools.count()


async def run(client: Api, query: str, first: int = 30) -> dict[str, Any]:
    """The answer to `query`, executed (a variable no request had before: never cached)."""
    answer: dict[str, Any] = await client.execute(query, {"first": first, "n": next(_nonces)})
    return answer


async def rates(client: Api) -> dict[int, Decimal]:
    answer = await run(client, RATES)
    assert "errors" not in answer, answer
    return {n["id"]: Decimal(n["rate"]["amount"]) for n in answer["data"]["services"]["nodes"]}


async def test_a_page_completes_each_node_once(server: Server, keys: Keys) -> None:
    schema = build_schema(GraphQLOptions())
    views = CatalogViews()
    assert server.app is not None
    app = server.app.state.context
    principal = await app.auth.authenticate(keys.ops)
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}

    async def nodes() -> list[dict[str, Any]]:
        context = Context(
            request=Request(scope), response=None, app=app, options=GraphQLOptions(),
            principal=principal, request_id="node-cache", views=views,
        )  # fmt: skip
        result = await schema.execute(PAGE, {"first": 20}, context)
        assert result.errors is None, result.errors
        assert result.data is not None
        found: list[dict[str, Any]] = result.data["services"]["nodes"]
        return found

    first, second = await nodes(), await nodes()
    assert first == second
    assert all(a is b for a, b in zip(first, second, strict=True))  # kept, not completed again
    assert first[0]["providerCount"] >= 1


async def test_scopes_are_part_of_the_key(api: ApiFactory, keys: Keys) -> None:
    for _ in range(2):
        ops = await run(api(keys.ops), PAGE)
        assert "errors" not in ops
        assert all(n["providerCount"] >= 1 for n in ops["data"]["services"]["nodes"])
        # A read key may not see how many providers sell a service: its own refusal, each time.
        reader = await run(api(keys.reader), PAGE)
        codes = {e["extensions"]["code"] for e in reader["errors"]}
        assert codes == {"FORBIDDEN"}
        assert len(reader["errors"]) == 30


async def test_a_catalog_sync_is_seen_at_once(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    ops = api(keys.ops)
    before = await rates(ops)
    snapshot = await gw.catalog.snapshot()
    target = next(
        group
        for i in before
        if (group := snapshot.groups[i]).cheapest.provider in ("alpha", "beta")
    )
    offer = target.cheapest
    cheaper = (offer.rate / 2).quantize(Decimal("0.0001"))
    trio.sims[offer.provider].panel.set_rate(int(offer.service.id), cheaper)
    await gw.catalog.sync()
    after = await rates(ops)
    assert after[target.id] == cheaper
    assert before[target.id] != cheaper


async def test_each_account_and_the_operator_see_their_own_rates(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    await each_sees_its_own_rates(api, api(keys.admin), gw, rates, api(keys.ops))
