"""A document of several operations without an ``operationName`` fails as the specification
says (over HTTP, GET and POST, and over graphql-transport-ws) and runs none of them; naming one
runs that one."""

from __future__ import annotations

import httpx

from gateway.graphql.operation_choice import MULTIPLE_OPERATIONS
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory, Server, subscriber
from tests.gateway.graphql.test_subscriptions import acknowledged, bearer

TWO = "query A { viewer { clientId } } query B { __typename }"
REFUSED = {"data": None, "errors": [{"message": MULTIPLE_OPERATIONS}]}


async def test_over_http_an_operation_must_be_named(
    server: Server, http: httpx.AsyncClient, api: ApiFactory, keys: Keys
) -> None:
    reader = api(keys.reader)
    assert await reader.execute(TWO) == REFUSED
    named = await http.post(
        server.graphql_url, json={"query": TWO, "operationName": "B"}, headers=reader.headers()
    )
    assert named.json() == {"data": {"__typename": "Query"}}
    got = await http.get(
        server.graphql_url, params={"query": TWO},
        headers={**reader.headers(), "Accept": "application/json"},
    )  # fmt: skip
    assert (got.status_code, got.json()) == (200, REFUSED)
    # The document's own validation errors come first, as the specification orders it.
    invalid = await reader.execute("query A { nope } query B { __typename }")
    assert "Cannot query field 'nope'" in invalid["errors"][0]["message"]
    assert await reader.data("{ __typename }") == {"__typename": "Query"}


async def test_a_mutation_first_in_the_document_does_not_run(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    count = "{ apiKeys { id } }"
    before = len((await admin.data(count))["apiKeys"])
    make = 'mutation M { createApiKey(name: "x", scopes: ["read"]) { __typename } }'
    assert await admin.execute(f"{make} query B {{ __typename }}") == REFUSED
    assert len((await admin.data(count))["apiKeys"]) == before


async def test_over_the_websocket_an_operation_must_be_named(server: Server, keys: Keys) -> None:
    updates = "subscription S { orderUpdated { event } } subscription T { orderUpdated { event } }"
    async with subscriber(server.ws_url, bearer(keys.reader)) as sub:
        await acknowledged(sub)
        for op_id, query in (("q", TWO), ("s", updates)):
            await sub.subscribe(op_id, query, {})
            assert await sub.receive() == {
                "id": op_id, "type": "error", "payload": [{"message": MULTIPLE_OPERATIONS}]
            }  # fmt: skip
        await sub.send(
            {"id": "b", "type": "subscribe", "payload": {"query": TWO, "operationName": "B"}}
        )
        assert await sub.next_data("b") == {"data": {"__typename": "Query"}}
