"""A first request held between claiming its idempotency key and recording its order, past
every wait, while retries come: one order, one upstream ``add``, whatever the timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import IdempotencyPending
from gateway.store import IdempotencyClaim, OrderRow
from providers.models import OrderState
from tests.gateway.held import Held, eventually, held_gateway
from tests.gateway.panels import Trio, shared_group


@pytest.fixture
async def held(settings: Settings, trio: Trio, gw: Gateway, tmp_path: Path) -> AsyncIterator[Held]:
    async with held_gateway(settings, trio, tmp_path) as opened:
        yield opened


def fields_for(group: Group) -> dict[str, object]:
    return {
        "link": "https://instagram.com/p/1",
        "quantity": max(m.service.min for m in group.members),
    }


async def _start_held(gw: Gateway, held: Held, group: Group, key: str) -> asyncio.Task[OrderRow]:
    """The first request, stalled on its way from its claim (made) to its order row."""
    snapshot = await gw.catalog.snapshot()
    held.hold()
    first = asyncio.create_task(
        held.gateway.orders.place(snapshot, "c", group.id, fields_for(group), idempotency_key=key)
    )

    async def claimed() -> IdempotencyClaim | None:
        if first.done():
            first.result()
        return await gw.store.idempotency_claim("c", key)

    await eventually(claimed, "the first request claims its key")
    return first


async def test_a_first_request_held_past_every_wait_never_places_a_second_order(
    gw: Gateway, held: Held, trio: Trio
) -> None:
    group = await shared_group(gw)
    first = await _start_held(gw, held, group, "slow")

    gw.orders.idempotency_wait = 0.3  # the first request's claim counts as abandoned after this
    retry = await gw.place("c", group.id, fields_for(group), idempotency_key="slow")
    assert retry.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 1

    held.release()
    late = await first
    assert late.id == retry.id, "the slow request answers with the key's order"
    again = await gw.place("c", group.id, fields_for(group), idempotency_key="slow")
    assert again.id == retry.id
    assert sum(trio.calls("add").values()) == 1
    assert [o.id for o in await gw.store.list_orders("c", None, None, 10)] == [retry.id]
    kinds = [e.kind for e in await gw.store.order_events(retry.id)]
    assert kinds.count("created") == 1, "the slow request's order was rolled back"


async def test_a_retry_while_the_first_request_runs_is_told_to_come_back(
    gw: Gateway, held: Held, trio: Trio
) -> None:
    group = await shared_group(gw)
    first = await _start_held(gw, held, group, "busy")

    gw.orders.idempotency_patience = 0.2
    with pytest.raises(IdempotencyPending) as pending:
        await gw.place("c", group.id, fields_for(group), idempotency_key="busy")
    assert "being placed" in pending.value.message
    assert sum(trio.calls("add").values()) == 0

    held.release()
    placed = await first
    again = await gw.place("c", group.id, fields_for(group), idempotency_key="busy")
    assert again.id == placed.id
    assert sum(trio.calls("add").values()) == 1
