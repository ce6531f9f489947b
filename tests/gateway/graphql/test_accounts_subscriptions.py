"""``orderUpdated`` for a client account's key: the key in ``connection_init`` or on the handshake,
either way the updates show what the account pays (the price held, then the final charge), never
the wholesale charge. The ledger adds up after every test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import PLACE, order_input, shared_group
from tests.gateway.graphql.server import ApiFactory, Server, subscriber
from tests.gateway.graphql.test_accounts import account_key, funded
from tests.gateway.graphql.test_subscriptions import acknowledged, bearer, updates_until
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.workers.helpers import eventually

UPDATES = """subscription {
  orderUpdated { event order { id status cost { amount currency } charge { amount currency } } }
}"""


@pytest.fixture(autouse=True)
async def ledger_adds_up(gw: Gateway) -> AsyncIterator[None]:
    yield
    assert await gw.store.ledger_problems() == []


async def test_an_account_follows_what_its_orders_cost_it(
    server: Server, api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    admin = api(keys.admin)
    await funded(admin, "shop", "50", priceList={"markupPercent": "30"})
    secret = await account_key(admin, "shop")
    async with (
        subscriber(server.ws_url, bearer(secret)) as by_payload,
        subscriber(server.ws_url, {}, headers=bearer(secret)) as by_header,
    ):
        for sub in (by_payload, by_header):
            await acknowledged(sub)
            await sub.subscribe("1", UPDATES, {})
        await eventually(lambda: server.subscribers() == 2)

        placed = (await api(secret).data(PLACE, {"input": order_input(group)}))["placeOrder"]
        assert placed["__typename"] == "PlaceOrderSuccess", placed
        held = placed["order"]["cost"]
        for sub in (by_payload, by_header):
            update = (await updates_until(sub, "1", "PENDING"))[-1]
            assert update["order"]["cost"] == held
            assert update["order"]["charge"] == held

        trio.advance(14 * 24 * 3600)
        await sync_statuses(gw)
        row = await gw.store.get_order(placed["order"]["id"])
        assert row.client_charge is not None
        for sub in (by_payload, by_header):
            done = (await updates_until(sub, "1", "COMPLETED", "PARTIAL"))[-1]
            assert done["order"]["charge"] == {
                "amount": f"{row.client_charge:f}", "currency": "USD"
            }  # fmt: skip
