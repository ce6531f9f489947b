"""``/api/v2 add`` with an ``Idempotency-Key``: a retry gets its order whatever today's catalog
says, and a retry while the first request still runs gets a panel's "try again later"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.rest import v2_texts as texts
from gateway.store import IdempotencyClaim
from tests.gateway.held import Held, eventually, held_gateway
from tests.gateway.panels import Trio, open_gateway
from tests.gateway.rest.conftest import Keys, client_for, running
from tests.gateway.rest.helpers import order_fields, shared_group, v2


@pytest.fixture
async def held(settings: Settings, trio: Trio, gw: Gateway, tmp_path: Path) -> AsyncIterator[Held]:
    async with held_gateway(settings, trio, tmp_path) as opened:
        yield opened


@pytest.fixture
async def emptied(settings: Settings, trio: Trio, gw: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    """``/api/v2`` of a gateway on the same ledger whose catalog no longer has any service."""
    bare = settings.model_copy(update={"providers": []})
    async with (
        open_gateway(bare, trio) as other,
        running(bare, other) as app,
        client_for(app) as c,
    ):
        yield c


async def test_a_retry_gets_its_order_after_the_service_left_the_catalog(
    client: httpx.AsyncClient, emptied: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await shared_group(gw)
    header = {"Idempotency-Key": "kept"}
    fields = order_fields(group, 5)
    first = await v2(client, "form", headers=header, key=keys.alice, action="add", **fields)
    assert set(first) == {"order"}

    again = await v2(emptied, "form", headers=header, key=keys.alice, action="add", **fields)
    assert again == first
    new_key = {"Idempotency-Key": "new"}
    fresh = await v2(emptied, "form", headers=new_key, key=keys.alice, action="add", **fields)
    assert fresh == {"error": texts.INCORRECT_SERVICE}, "the service really is gone"
    other = await v2(
        emptied, "form", headers=header, key=keys.alice, action="add", **order_fields(group, 6)
    )
    assert other == {"error": texts.KEY_REUSED}
    assert sum(trio.calls("add").values()) == 1


async def test_a_retry_while_the_first_request_runs_is_told_to_try_again_later(
    client: httpx.AsyncClient, gw: Gateway, held: Held, keys: Keys, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group, 9)
    snapshot = await gw.catalog.snapshot()
    held.hold()
    as_sent = {"link": fields["link"], "quantity": fields["quantity"]}
    first = asyncio.create_task(
        held.gateway.orders.place(snapshot, "alice", group.id, as_sent, idempotency_key="busy")
    )

    async def claimed() -> IdempotencyClaim | None:
        if first.done():
            first.result()
        return await gw.store.idempotency_claim("alice", "busy")

    await eventually(claimed, "the first request claims its key")
    gw.orders.idempotency_patience = 0.2
    header = {"Idempotency-Key": "busy"}
    answer = await v2(client, "form", headers=header, key=keys.alice, action="add", **fields)
    assert answer == {"error": texts.ORDER_IN_PROGRESS}
    assert sum(trio.calls("add").values()) == 0

    held.release()
    placed = await first
    again = await v2(client, "query", headers=header, key=keys.alice, action="add", **fields)
    assert again == {"order": placed.id}
    assert sum(trio.calls("add").values()) == 1
