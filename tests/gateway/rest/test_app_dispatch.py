"""`GatewayApp` hands ``/api/v2`` GET and POST requests to their endpoint directly, and every
other request to Starlette's stack: the answers are the same either way."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from starlette.applications import Starlette

from gateway.app_dispatch import GatewayApp
from gateway.rest import v2_texts as texts
from tests.gateway.rest.conftest import Keys


async def call(
    app: Starlette, method: str, path: str, body: bytes = b"", root_path: str = ""
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request straight through the ASGI interface: status, headers, body."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": root_path, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
    }  # fmt: skip
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], dict(message["headers"])
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"]


async def test_a_v2_call_reaches_its_endpoint_without_the_stack(app: Starlette, keys: Keys) -> None:
    assert isinstance(app, GatewayApp)
    form = f"key={keys.reader}&action=balance".encode()
    for path in ("/api/v2", "/api/v2/"):
        status, _, body = await call(app, "POST", path, form)
        assert status == 200
        assert json.loads(body) == {"error": "Balance is not available for this API key"}
    # Starlette builds its middleware stack for the first request that goes through it: none
    # did, and the endpoint still found the app's state (its key, limit and ledger).
    assert app.middleware_stack is None


async def test_a_root_path_is_taken_off_as_starlettes_router_does(
    app: Starlette, keys: Keys
) -> None:
    form = f"key={keys.reader}&action=services".encode()
    status, headers, body = await call(app, "POST", "/gw/api/v2", form, root_path="/gw")
    assert status == 200
    assert headers[b"content-type"] == b"application/json"
    assert isinstance(json.loads(body), list)


async def test_other_methods_and_paths_go_through_starlette(app: Starlette, keys: Keys) -> None:
    status, headers, body = await call(app, "PUT", "/api/v2")
    assert status == 405
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body) == {"error": texts.INCORRECT_REQUEST}
    # HEAD is allowed by the route and answered by the endpoint behind Starlette's stack (the
    # server, not the app, leaves the body out).
    head_status, _, head_body = await call(app, "HEAD", "/api/v2")
    assert (head_status, json.loads(head_body)) == (200, {"error": texts.INVALID_KEY})
    missing, _, _ = await call(app, "POST", "/api/v2x")
    assert missing == 404
    assert app.middleware_stack is not None


async def test_a_graphql_call_reaches_its_endpoint_without_the_stack(
    app: Starlette, keys: Keys
) -> None:
    query = json.dumps({"query": "{ services(first: 1) { edges { node { id } } } }"}).encode()
    scope_headers = [
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {keys.reader}".encode()),
        (b"content-length", str(len(query)).encode()),
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": scope_headers,
    }  # fmt: skip
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": query, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    answer = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert len(answer["data"]["services"]["edges"]) == 1
    assert app.middleware_stack is None
