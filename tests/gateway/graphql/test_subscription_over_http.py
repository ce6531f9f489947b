"""A subscription sent over HTTP (as GraphiQL does when run before it has read the operation,
or any client by mistake) is told where subscriptions are served, never an internal error."""

from __future__ import annotations

import httpx
import pytest

from gateway.graphql.view import SUBSCRIPTIONS_OVER_WS
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server

SUBSCRIPTION = "subscription { orderUpdated { event order { id } } }"


@pytest.mark.parametrize(
    "body",
    [
        {"query": SUBSCRIPTION},
        {"query": "subscription Watch { orderUpdated { event } } query Q { __typename }",
         "operationName": "Watch"},
    ],
)  # fmt: skip
async def test_a_subscription_over_http_is_sent_to_the_websocket(
    server: Server, http: httpx.AsyncClient, keys: Keys, body: dict[str, str]
) -> None:
    response = await http.post(
        server.graphql_url, json=body, headers={"Authorization": f"Bearer {keys.alice}"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [{"message": SUBSCRIPTIONS_OVER_WS, "extensions": {"code": "BAD_REQUEST"}}],
    }


async def test_a_subscription_in_a_get_query_is_sent_to_the_websocket(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    response = await http.get(
        server.graphql_url, params={"query": SUBSCRIPTION},
        headers={"Authorization": f"Bearer {keys.alice}", "Accept": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == SUBSCRIPTIONS_OVER_WS


async def test_other_operations_beside_a_subscription_still_run(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    body = {
        "query": "subscription Watch { orderUpdated { event } } query Q { __typename }",
        "operationName": "Q",
    }
    response = await http.post(
        server.graphql_url, json=body, headers={"Authorization": f"Bearer {keys.alice}"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
