"""Answers from the response cache are the very bytes the query answered when it ran: for pages,
single services, aliases, variables, named operations, an operator's and a client account's key;
and a body's key is the same whether worked out from its raw bytes or from its decoded JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from gateway.app import create_app
from gateway.auth import principal_of
from gateway.config import Settings
from gateway.core import Gateway
from gateway.graphql.response_cache import ResponseCache
from gateway.graphql.view import REQUEST_ID_HEADER, GraphQLEndpoint
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server, serve

FIELDS = (
    "id name platform metric type refill refillKind refillDays cancel dripFeed min max geo "
    "rate { amount currency }"
)
OPERATIONS: list[dict[str, Any]] = [
    {"query": "{ services(first: 5) { totalCount nodes { " + FIELDS + " } } }"},
    {
        "query": "query Page($first: Int!, $after: String) { services(first: $first, "
        "after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { "
        + FIELDS
        + " } } } }",
        "variables": {"first": 100},
    },
    {"query": "{ cheap: services(first: 3, orderBy: {field: RATE}) { nodes { id name } } }"},
    {
        "query": "query One($id: Int!) { service(id: $id) { id name rate { amount } } } "
        "query Other { __typename }",
        "operationName": "One",
        "variables": {"id": 1},
    },
    {"query": "{ __typename services(first: 2) { nodes { id } } }"},
]


@pytest.fixture
async def server(settings: Settings, gw: Gateway) -> AsyncIterator[Server]:
    """Served without background jobs: a catalog refresh cannot land between two requests."""
    async with serve(create_app(settings, gateway=gw, background=False)) as running:
        yield running


def endpoint_of(server: Server) -> GraphQLEndpoint:
    assert server.app is not None
    route = next(r for r in server.app.routes if isinstance(r, Route) and r.path == "/graphql")
    found = route.app
    while not isinstance(found, GraphQLEndpoint):  # the rate limit (and CORS) wrap it
        found = found.app  # type: ignore[attr-defined]
    return found


async def post(http: httpx.AsyncClient, server: Server, key: str, body: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return await http.post(server.graphql_url, content=body, headers=headers)


async def first_then_cached(
    http: httpx.AsyncClient, server: Server, key: str, body: dict[str, Any]
) -> tuple[bytes, bytes]:
    """The answer of `body` as it ran, then as the cache gave it (checked to be a hit)."""
    cache = endpoint_of(server).responses
    raw = json.dumps(body).encode()
    before = len(cache._local)
    ran = await post(http, server, key, raw)
    assert ran.status_code == 200, ran.text
    assert "errors" not in ran.json(), ran.text
    assert len(cache._local) == before + 1, "a clean catalog answer is filed"
    cached = await post(http, server, key, raw)
    assert cached.status_code == 200
    assert cached.headers["content-type"] == ran.headers["content-type"] == "application/json"
    assert cached.headers[REQUEST_ID_HEADER] != ran.headers[REQUEST_ID_HEADER]
    assert len(cache._local) == before + 1, "the second answer came from the cache"
    return ran.content, cached.content


async def test_cached_answers_are_the_bytes_the_query_answered(
    server: Server, http: httpx.AsyncClient, keys: Keys, gw: Gateway
) -> None:
    snapshot = await gw.catalog.snapshot()
    first_id = min(snapshot.groups)
    for operation in OPERATIONS:
        if operation.get("variables", {}).get("id") == 1:
            operation = {**operation, "variables": {"id": first_id}}
        for key in (keys.admin, keys.reader):  # an operator's answer, and a client's
            ran, cached = await first_then_cached(http, server, key, operation)
            assert cached == ran, operation["query"]


async def test_another_layout_of_a_query_is_answered_with_the_same_bytes(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    body = {"query": "{ services(first: 4) { nodes { id name rate { amount } } } }"}
    ran, cached = await first_then_cached(http, server, keys.reader, body)
    spaced = {
        "query": "# the same\n{\n  services(first: 4) {\n nodes { id, name, rate { amount } }}}"
    }
    other = await post(http, server, keys.reader, json.dumps(spaced).encode())
    assert other.content == cached == ran


async def test_a_client_accounts_cached_answers_are_its_own_bytes(
    server: Server, http: httpx.AsyncClient, gw: Gateway
) -> None:
    keys = []
    for name, markup in (("low", "10"), ("high", "50")):
        account = await gw.store.create_account(
            name, currency="USD", price_list={"markup_percent": markup}
        )
        await gw.store.top_up(account.id, Decimal(10), reason="test funds")
        _, key = await gw.store.create_api_key(f"{name}-key", name, ["read"], account_id=account.id)
        keys.append(key)
    body = {"query": "{ services(first: 10) { nodes { id rate { amount currency } } } }"}
    answers = [await first_then_cached(http, server, key, body) for key in keys]
    for ran, cached in answers:
        assert cached == ran
    assert answers[0][0] != answers[1][0], "each account reads its own rates"
    for key, (ran, _) in zip(keys, answers, strict=True):  # again, from the cache, in turns
        assert (await post(http, server, key, json.dumps(body).encode())).content == ran


async def test_a_body_has_one_key_from_raw_bytes_or_decoded(gw: Gateway) -> None:
    cache = ResponseCache(ttl=60)
    account = await gw.store.create_account(
        "shop", currency="USD", price_list={"markup_percent": "20"}
    )
    row, _ = await gw.store.create_api_key("k", "shop", ["read"], account_id=account.id)
    admin, _ = await gw.store.create_api_key("a", "ops", ["admin"])
    bodies = [
        *OPERATIONS,
        {"query": "{ services(first: 1) { nodes { id } } }", "variables": {"b": [1], "a": "é"}},
        {"query": "mutation { syncCatalog { __typename } }"},
        {"query": "{ services(first: 1) { nodes { id } } "},  # a syntax error
        {"query": 7},
    ]
    for body in bodies:
        for raw in (json.dumps(body).encode(), json.dumps(body, indent=2).encode()):
            for principal, prices in ((principal_of(row), account), (principal_of(admin), None)):
                expected = cache.key(body, principal, prices)
                assert cache.key_of_body(raw, principal, prices) == expected
                assert cache.key_of_body(raw, principal, prices) == expected, "remembered"
    assert cache.key_of_body(b"[1, 2]", principal_of(admin)) is None
    assert cache.key_of_body(b"{not json", principal_of(admin)) is None
    assert cache.key_of_body(json.dumps(OPERATIONS[0]).encode(), None) is None


async def test_a_cached_answer_carries_the_callers_request_id_or_a_new_one(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    body = {"query": "{ services(first: 2) { nodes { id } } }"}
    await first_then_cached(http, server, keys.reader, body)
    headers = {"Authorization": f"Bearer {keys.reader}", "X-Request-ID": "trace-0001.a"}
    echoed = await http.post(server.graphql_url, json=body, headers=headers)
    assert echoed.headers[REQUEST_ID_HEADER] == "trace-0001.a"
    made = {
        (await post(http, server, keys.reader, json.dumps(body).encode())).headers[
            REQUEST_ID_HEADER
        ]
        for _ in range(3)
    }
    assert len(made) == 3
    assert all(len(rid) == 32 and int(rid, 16) >= 0 for rid in made)


async def test_a_caller_gone_before_its_body_arrived_gets_nothing_and_raises_nothing(
    server: Server, keys: Keys
) -> None:
    assert server.app is not None
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
        "headers": [
            (b"authorization", f"Bearer {keys.reader}".encode()),
            (b"content-type", b"application/json"), (b"content-length", b"100"),
        ],
        "state": {},
    }  # fmt: skip
    await server.app(scope, receive, send)  # type: ignore[arg-type]
    assert sent == []
