"""An operator's ``ops`` key reads every client's orders, as an admin key does: the list (with
its client filter), one order, a split order's parts, live updates; it acts on none of them
(refill and cancel need ``order``, and with ``order`` too only its own client's). The real app
on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import place, shared_group
from tests.gateway.graphql.server import ApiFactory, Server, subscriber
from tests.gateway.graphql.test_split_children import split_for_account
from tests.gateway.graphql.test_subscriptions import UPDATES, acknowledged, bearer, updates_until
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import eventually

ORDERS = """query($client: String) { orders(first: 50, filter: {clientId: $client}) {
  nodes { id clientId provider } } }"""
ORDER = "query($id: Int!) { order(id: $id) { id clientId parentId provider } }"
MINE = "{ orders(first: 50) { nodes { id } } }"
ONE = "query($id: Int!) { order(id: $id) { id } }"
REFILL = """mutation($ids: [Int!]!) { refillOrders(ids: $ids) { results { __typename
  ... on NotFoundError { id } } } }"""


async def test_an_ops_key_reads_every_clients_orders(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    alices = (await place(api(keys.alice), group, n=1))["order"]["id"]
    bobs = (await place(api(keys.bob), group, n=2))["order"]["id"]
    ops, admin = api(keys.ops), api(keys.admin)

    listed = (await ops.data(ORDERS))["orders"]["nodes"]
    assert listed == (await admin.data(ORDERS))["orders"]["nodes"]
    assert [(o["id"], o["clientId"]) for o in listed] == [(bobs, "client-b"), (alices, "client-a")]
    assert all(o["provider"] for o in listed)
    only_bob = (await ops.data(ORDERS, {"client": "client-b"}))["orders"]["nodes"]
    assert [o["id"] for o in only_bob] == [bobs]
    one = (await ops.data(ORDER, {"id": alices}))["order"]
    assert (one["id"], one["clientId"]) == (alices, "client-a")
    # Clients still read only their own.
    assert (await api(keys.bob).data(ONE, {"id": alices}))["order"] is None
    mine = (await api(keys.bob).data(MINE))["orders"]["nodes"]
    assert [o["id"] for o in mine] == [bobs]


async def test_an_ops_key_reads_the_parts_of_any_split_order(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    _, parent, children = await split_for_account(gw)
    ops = api(keys.ops)
    whole = (await ops.data(ORDER, {"id": parent.id}))["order"]
    assert (whole["clientId"], whole["parentId"]) == ("shop", None)
    for child in children:
        part = (await ops.data(ORDER, {"id": child.id}))["order"]
        assert (part["parentId"], part["provider"]) == (parent.id, child.provider)
    listed = {o["id"] for o in (await ops.data(ORDERS, {"client": "shop"}))["orders"]["nodes"]}
    assert listed == {parent.id, *(c.id for c in children)}


async def test_an_ops_key_acts_on_no_other_clients_order(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    alices = (await place(api(keys.alice), group, n=3))["order"]["id"]
    assert await api(keys.ops).error_codes(REFILL, {"ids": [alices]}) == ["FORBIDDEN"]
    _, desk = await gw.store.create_api_key("desk", "desk", ["ops", "order"])
    both = api(desk)
    assert (await both.data(ORDER, {"id": alices}))["order"]["clientId"] == "client-a"
    refused = (await both.data(REFILL, {"ids": [alices]}))["refillOrders"]["results"]
    assert refused == [{"__typename": "NotFoundError", "id": alices}]
    assert sum(trio.calls("refill").values()) == 0


async def test_an_ops_key_hears_every_clients_order_updates(
    server: Server, api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    group = await shared_group(gw)
    async with subscriber(server.ws_url, bearer(keys.ops)) as ops:
        await acknowledged(ops)
        await ops.subscribe("1", UPDATES, {"ids": None})
        await eventually(lambda: server.subscribers() == 1)
        order = (await place(api(keys.alice), group, n=4))["order"]
        seen = await updates_until(ops, "1", "PENDING")
    assert {u["order"]["id"] for u in seen} == {order["id"]}
    assert seen[0]["order"]["clientId"] == "client-a"
