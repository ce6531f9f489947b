"""The real app on a loopback port inside the test's event loop, and clients for it.

The gateway (its database pool, its Redis connection) lives in the test's loop, so the server
must too: uvicorn runs as a task here rather than in a thread.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
import websockets
from starlette.applications import Starlette


@dataclass
class Server:
    """A running app: `url` is its root, `ws_url` its GraphQL WebSocket."""

    base_url: str
    app: Starlette | None = None
    """The app served, for tests that wait on its state (subscribers on its event bus)."""

    def subscribers(self) -> int:
        """How many subscriptions listen on the app's event bus now."""
        assert self.app is not None
        count: int = self.app.state.context.bus.subscribers
        return count

    @property
    def graphql_url(self) -> str:
        return self.base_url + "/graphql"

    @property
    def ws_url(self) -> str:
        return self.graphql_url.replace("http://", "ws://", 1)


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[Server]:
    """Serve `app` (lifespan included) on a free loopback port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.01)
        yield Server(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await task
        sock.close()


class Api:
    """A GraphQL client over HTTP for one API key (or none)."""

    def __init__(self, http: httpx.AsyncClient, url: str, key: str | None) -> None:
        self.http = http
        self.url = url
        self.key = key

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    async def post(self, query: str, variables: Mapping[str, Any] | None = None) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = dict(variables)
        return await self.http.post(self.url, json=body, headers=self.headers())

    async def execute(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The whole answer (``data`` and ``errors``)."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def data(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """``data`` of an answer that must have no errors."""
        answer = await self.execute(query, variables)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    async def error_codes(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> list[str]:
        answer = await self.execute(query, variables)
        return [e.get("extensions", {}).get("code", "") for e in answer.get("errors", [])]


class ApiFactory:
    """``api(key)``: a client of the server for that key."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url

    def __call__(self, key: str | None) -> Api:
        return Api(self.http, self.url, key)


class Subscriber:
    """A graphql-transport-ws connection."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, wait: float = 10.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), wait)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def close_code(self, wait: float = 10.0) -> int | None:
        """The code of the close frame the server sends next (None: the connection dropped
        without one); a message coming first fails."""
        try:
            message = await self.receive(wait)
        except websockets.ConnectionClosed as closed:
            return None if closed.rcvd is None else closed.rcvd.code
        raise AssertionError(f"{message} came instead of a close")

    async def subscribe(self, op_id: str, query: str, variables: Mapping[str, Any]) -> None:
        await self.send(
            {"id": op_id, "type": "subscribe",
             "payload": {"query": query, "variables": dict(variables)}}
        )  # fmt: skip

    async def next_data(self, op_id: str, wait: float = 10.0) -> dict[str, Any]:
        """The payload of the next ``next`` message for `op_id`, skipping pings."""
        while True:
            message = await self.receive(wait)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            assert message.get("id") == op_id, message
            assert message["type"] == "next", message
            payload: dict[str, Any] = message["payload"]
            return payload


@asynccontextmanager
async def subscriber(
    ws_url: str, init: Mapping[str, Any] | None, headers: Mapping[str, str] | None = None
) -> AsyncIterator[Subscriber]:
    """A connection that has sent ``connection_init`` with `init` (not waiting for the ack)."""
    async with websockets.connect(
        ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers=dict(headers or {}),
    ) as ws:  # fmt: skip
        sub = Subscriber(ws)
        await sub.send({"type": "connection_init", "payload": dict(init or {})})
        yield sub
