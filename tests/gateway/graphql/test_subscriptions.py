"""``orderUpdated`` over graphql-transport-ws: authenticated connections, live events as a
simulated order progresses, and nothing of another client's orders."""

from __future__ import annotations

from typing import Any

import pytest
import websockets

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import place, shared_group
from tests.gateway.graphql.server import ApiFactory, Server, Subscriber, subscriber
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.workers.helpers import eventually

UPDATES = """subscription($ids: [Int!]) {
  orderUpdated(ids: $ids) { event eventId at order { id clientId status remains } }
}"""


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def acknowledged(sub: Subscriber) -> None:
    assert (await sub.receive())["type"] == "connection_ack"


async def updates_until(sub: Subscriber, op: str, *statuses: str) -> list[dict[str, Any]]:
    """Updates received until the order reaches one of `statuses`."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["order"]["status"] not in statuses:
        payload = await sub.next_data(op)
        assert "errors" not in payload, payload
        seen.append(payload["data"]["orderUpdated"])
    return seen


async def test_a_connection_without_a_valid_key_is_refused(server: Server) -> None:
    for init in ({}, bearer("smmgw_nope")):
        async with subscriber(server.ws_url, init) as sub:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await sub.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403


async def test_order_updates_arrive_as_the_order_progresses(
    server: Server, api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    async with (
        subscriber(server.ws_url, bearer(keys.alice)) as alice,
        subscriber(server.ws_url, {}, headers=bearer(keys.bob)) as bob,
        subscriber(server.ws_url, bearer(keys.admin)) as admin,
    ):
        for sub in (alice, bob, admin):
            await acknowledged(sub)
            await sub.subscribe("1", UPDATES, {"ids": None})
        # Every subscription listens on the bus before the first event is published.
        await eventually(lambda: server.subscribers() == 3)

        order = (await place(api(keys.alice), group))["order"]
        placed = await updates_until(alice, "1", "PENDING")
        assert placed[0]["event"] == "order.created"
        assert {u["order"]["id"] for u in placed} == {order["id"]}
        assert (await updates_until(admin, "1", "PENDING"))[-1]["order"]["clientId"] == "client-a"

        trio.advance(14 * 24 * 3600)
        await sync_statuses(gw)
        done = (await updates_until(alice, "1", "COMPLETED", "PARTIAL"))[-1]
        assert done["event"] == f"order.{done['order']['status'].lower()}"
        assert done["order"]["remains"] is not None

        # Bob's first update is of his own order: nothing of alice's reached him before it.
        mine = (await place(api(keys.bob), group, n=9))["order"]
        first_seen = (await updates_until(bob, "1", "PENDING"))[0]
        assert first_seen["order"]["id"] == mine["id"]
        assert first_seen["order"]["clientId"] == "client-b"


async def test_subscribing_to_chosen_ids(
    server: Server, api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    alice = api(keys.alice)
    first = (await place(alice, group, n=1))["order"]["id"]
    async with subscriber(server.ws_url, bearer(keys.reader)) as sub:
        await acknowledged(sub)
        await sub.subscribe("watch", UPDATES, {"ids": [first]})
        await eventually(lambda: server.subscribers() == 1)
        second = (await place(alice, group, n=2))["order"]["id"]
        trio.advance(14 * 24 * 3600)
        await sync_statuses(gw)  # both orders finish: events for each
        # Every update until `first` is final is of `first`; `second` never shows up.
        seen = await updates_until(sub, "watch", "COMPLETED", "PARTIAL")
    assert {u["order"]["id"] for u in seen} == {first}
    assert second != first


async def test_subscriptions_need_the_read_scope_and_sane_ids(server: Server, keys: Keys) -> None:
    async with subscriber(server.ws_url, bearer(keys.reader)) as sub:
        await acknowledged(sub)
        await sub.subscribe("big", UPDATES, {"ids": list(range(1, 200))})
        message = await sub.receive()
        assert message["type"] in ("error", "next")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
