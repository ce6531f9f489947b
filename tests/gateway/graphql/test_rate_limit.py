"""/graphql spends the same per-key budget as /api/v2, and says no in GraphQL's shape."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from gateway.config import LimitsSection, Settings
from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import serve

QUERY = {"query": "{ services(first: 1) { totalCount } }"}


async def test_a_key_over_its_limit_gets_a_rate_limited_error(
    settings: Settings, gw: Gateway, keys: Keys, http: httpx.AsyncClient
) -> None:
    limited = settings.model_copy(
        update={"limits": LimitsSection(per_key="4/minute", anonymous="2/minute")}
    )
    async with serve(create_app(limited, gateway=gw)) as server:
        alice = {"Authorization": f"Bearer {keys.alice}"}
        for _ in range(2):
            answer = await http.post(server.graphql_url, json=QUERY, headers=alice)
            assert answer.status_code == 200
            assert "errors" not in answer.json()
        v2 = await http.post(
            f"{server.graphql_url.removesuffix('/graphql')}/api/v2",
            data={"key": keys.alice, "action": "services"},
        )
        assert isinstance(v2.json(), list), "a v2 call spends the same budget"
        assert (await http.post(server.graphql_url, json=QUERY, headers=alice)).status_code == 200
        refused = await http.post(server.graphql_url, json=QUERY, headers=alice)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        body = refused.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert "Max 4 requests per minute" in body["errors"][0]["message"]

        bob = {"Authorization": f"Bearer {keys.bob}"}
        answer = await http.post(server.graphql_url, json=QUERY, headers=bob)
        assert answer.status_code == 200, "each key has its own budget"

        for _ in range(2):
            await http.post(server.graphql_url, json=QUERY)
        anonymous = await http.post(server.graphql_url, json=QUERY)
        assert anonymous.status_code == 429, "callers without a key are limited by address"
