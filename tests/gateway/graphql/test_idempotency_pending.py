"""``placeOrder`` with an idempotency key while the key's first request is still running: a
typed ``IdempotencyError`` the client can act on, and no second order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.store import IdempotencyClaim
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import order_input, place, shared_group
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.held import Held, eventually, held_gateway
from tests.gateway.panels import Trio


@pytest.fixture
async def held(settings: Settings, trio: Trio, gw: Gateway, tmp_path: Path) -> AsyncIterator[Held]:
    async with held_gateway(settings, trio, tmp_path) as opened:
        yield opened


async def test_a_retry_while_the_first_request_runs_gets_a_typed_pending_answer(
    api: ApiFactory, keys: Keys, gw: Gateway, held: Held, trio: Trio
) -> None:
    group = await shared_group(gw)
    given = order_input(group)
    fields = {"link": given["link"], "quantity": given["quantity"]}
    snapshot = await gw.catalog.snapshot()
    held.hold()
    first = asyncio.create_task(
        held.gateway.orders.place(snapshot, "client-a", group.id, fields, idempotency_key="busy")
    )

    async def claimed() -> IdempotencyClaim | None:
        if first.done():
            first.result()
        return await gw.store.idempotency_claim("client-a", "busy")

    await eventually(claimed, "the first request claims its key")
    gw.orders.idempotency_patience = 0.2
    pending = await place(api(keys.alice), group, key="busy")
    assert pending["__typename"] == "IdempotencyError"
    assert pending["code"] == "IDEMPOTENCY_PENDING"
    assert "being placed" in pending["message"]
    assert sum(trio.calls("add").values()) == 0

    held.release()
    placed = await first
    again = await place(api(keys.alice), group, key="busy")
    assert again["__typename"] == "PlaceOrderSuccess"
    assert again["order"]["id"] == placed.id
    assert sum(trio.calls("add").values()) == 1
