"""Malformed graphql-transport-ws messages close the connection with 4400 (the protocol's answer
to an invalid message), with a close frame and nothing logged as an error; well-formed ones with
their optional members null still run."""

from __future__ import annotations

import json
import logging

import pytest
import websockets

from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server, Subscriber, subscriber
from tests.gateway.graphql.test_subscriptions import UPDATES, acknowledged, bearer

QUERY = "{ __typename }"

MALFORMED: list[object] = [
    "x",
    5,
    None,
    [{"type": "ping"}],
    {"type": 5},
    {"id": "1", "type": "subscribe", "payload": "x"},
    {"id": "1", "type": "subscribe"},
    {"id": "1", "type": "subscribe", "payload": {"query": 5}},
    {"id": "1", "type": "subscribe", "payload": {"variables": {}}},
    {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": 5}},
    {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": [1]}},
    {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "operationName": 5}},
    {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "extensions": 5}},
    {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "extensions": "x"}},
    {"type": "subscribe", "payload": {"query": QUERY}},
    {"id": 5, "type": "subscribe", "payload": {"query": QUERY}},
    {"id": None, "type": "subscribe", "payload": {"query": QUERY}},
    {"id": "", "type": "subscribe", "payload": {"query": QUERY}},
    {"id": 5, "type": "complete"},
    {"type": "ping", "payload": 5},
]
DEEP = "[" * 100_000 + "]" * 100_000
"""A frame nested deeper than Python's JSON decoder recurses: it dropped the socket without a
close frame, a traceback logged."""


@pytest.mark.parametrize("message", MALFORMED, ids=json.dumps)
async def test_a_malformed_message_closes_the_connection_with_4400(
    server: Server, keys: Keys, message: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        async with subscriber(server.ws_url, bearer(keys.reader)) as sub:
            await acknowledged(sub)
            await sub.ws.send(json.dumps(message))
            assert await sub.close_code() == 4400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_frame_nested_too_deep_closes_the_connection_with_4400(
    server: Server, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        async with subscriber(server.ws_url, bearer(keys.reader)) as sub:
            await acknowledged(sub)
            await sub.ws.send(DEEP)
            assert await sub.close_code() == 4400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_optional_members_may_be_null_and_a_duplicate_id_is_refused(
    server: Server, keys: Keys
) -> None:
    async with subscriber(server.ws_url, bearer(keys.reader)) as sub:
        await acknowledged(sub)
        payload: dict[str, object] = {
            "query": QUERY,
            "variables": None,
            "operationName": None,
            "extensions": {},
        }
        await sub.send({"id": "q", "type": "subscribe", "payload": payload})
        assert await sub.next_data("q") == {"data": {"__typename": "Query"}}
        assert await sub.receive() == {"id": "q", "type": "complete"}
        await sub.send({"type": "ping", "payload": None})
        assert (await sub.receive())["type"] == "pong"
        # An id in use: the protocol's own close code for it.
        await sub.subscribe("live", UPDATES, {"ids": None})
        await sub.subscribe("live", UPDATES, {"ids": None})
        assert await sub.close_code() == 4409


@pytest.mark.parametrize("init", [{}, {"payload": None}, {"payload": {}}])
async def test_a_connection_init_without_a_payload_or_a_null_one_is_acknowledged(
    server: Server, keys: Keys, init: dict[str, object]
) -> None:
    # The key comes as a handshake header; the payload is optional and may be null.
    async with websockets.connect(
        server.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers=bearer(keys.reader),
    ) as ws:  # fmt: skip
        sub = Subscriber(ws)
        await sub.send({"type": "connection_init", **init})
        await acknowledged(sub)
        await sub.send({"id": "q", "type": "subscribe", "payload": {"query": QUERY}})
        assert await sub.next_data("q") == {"data": {"__typename": "Query"}}
