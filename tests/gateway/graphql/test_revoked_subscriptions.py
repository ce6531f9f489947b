"""A revoked key's WebSocket connections close with 4403: at once when this process revoked it
(``revokeApiKey``), within the authentication ttl when it was revoked elsewhere (another
instance, the CLI: straight in the ledger). Other keys' connections carry on, and a connection
does not keep the secret it was opened with."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets

from gateway.auth import Authenticator
from gateway.core import Gateway
from gateway.graphql.context import Context
from gateway.graphql.view import GraphQLEndpoint
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import place, shared_group
from tests.gateway.graphql.server import ApiFactory, Server, Subscriber, subscriber
from tests.gateway.graphql.test_api_keys import REVOKE, VIEWER, create
from tests.gateway.graphql.test_subscriptions import UPDATES, acknowledged, bearer, updates_until
from tests.gateway.workers.helpers import eventually

SOON = 5.0
"""Seconds a close may take: far under the default ttl (30 s), far over a lookup."""


async def close_code_after_updates(sub: Subscriber) -> int | None:
    """`Subscriber.close_code`, after the updates still on their way (of an order placed
    before the key was revoked)."""
    while True:
        try:
            message = await sub.receive(SOON)
        except websockets.ConnectionClosed as closed:
            return None if closed.rcvd is None else closed.rcvd.code
        assert message["type"] == "next", message


async def test_revoking_a_key_closes_its_connections_at_once(
    server: Server, api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    made = await create(api, keys.admin, name="shop", scopes=["order"], client="client-a")
    secret = made["secret"]
    async with (
        subscriber(server.ws_url, bearer(secret)) as by_payload,
        subscriber(server.ws_url, {}, headers=bearer(secret)) as by_header,
        subscriber(server.ws_url, bearer(keys.alice)) as other,
    ):
        for sub in (by_payload, by_header, other):
            await acknowledged(sub)
            await sub.subscribe("1", UPDATES, {"ids": None})
        await eventually(lambda: server.subscribers() == 3)

        revoked = await api(keys.admin).data(REVOKE, {"id": made["apiKey"]["id"]})
        assert revoked["revokeApiKey"]["__typename"] == "RevokeApiKeySuccess"
        for sub in (by_payload, by_header):
            assert await sub.close_code(wait=SOON) == 4403
        await eventually(lambda: server.subscribers() == 1)
        assert (await api(secret).execute(VIEWER))["errors"][0]["message"] == "invalid API key"

        # Another key's subscription is untouched.
        order = (await place(api(keys.alice), await shared_group(gw)))["order"]
        assert (await updates_until(other, "1", "PENDING"))[0]["order"]["id"] == order["id"]
        assert server.app is not None
        assert server.app.state.context.auth.watch.keys == 1
    # A connection that ends stops its key's watch.
    await eventually(
        lambda: server.app is not None and server.app.state.context.auth.watch.keys == 0
    )


async def test_a_key_revoked_elsewhere_closes_its_connections_within_the_ttl(
    server: Server, api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    ttl = 0.3
    assert server.app is not None
    server.app.state.context.auth = Authenticator(gw.store, ttl=ttl)
    made = await create(api, keys.admin, name="shop", scopes=["order"], client="client-a")
    secret = made["secret"]
    async with subscriber(server.ws_url, bearer(secret)) as sub:
        await acknowledged(sub)
        await sub.subscribe("1", UPDATES, {"ids": None})
        await eventually(lambda: server.subscribers() == 1)
        # Looked up every ttl while it is active, the key keeps its subscription.
        await asyncio.sleep(4 * ttl)
        order = (await place(api(secret), await shared_group(gw)))["order"]
        assert (await updates_until(sub, "1", "PENDING"))[0]["order"]["id"] == order["id"]

        # Revoked as another instance or the CLI does: nothing here is told.
        assert await gw.store.revoke_api_key(made["apiKey"]["id"])
        assert await close_code_after_updates(sub) == 4403
        await eventually(lambda: server.subscribers() == 0)


async def test_a_connection_does_not_keep_its_secret(
    server: Server, api: ApiFactory, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    contexts: list[Context] = []
    connect = GraphQLEndpoint.on_ws_connect

    async def kept(view: GraphQLEndpoint, context: Context) -> Any:
        answer = await connect(view, context)
        contexts.append(context)
        return answer

    monkeypatch.setattr(GraphQLEndpoint, "on_ws_connect", kept)
    async with subscriber(server.ws_url, {**bearer(keys.reader), "client": "tests"}) as sub:
        await acknowledged(sub)
        [context] = contexts
        assert context.principal is not None
        assert context.connection_params == {"client": "tests"}
        assert keys.reader not in repr(context)
