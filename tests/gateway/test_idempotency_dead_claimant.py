"""A key claimed by a gateway process that died before recording its order: retries wait for
it while its heartbeat lives, and take the claim over as soon as the heartbeat has expired,
however young the claim (`gateway.fleet`). Still one order and one upstream ``add``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import IdempotencyPending
from gateway.store import IdempotencyClaim
from providers.models import OrderState
from tests.gateway.held import Held, eventually, held_gateway
from tests.gateway.panels import Trio, open_gateway, shared_group, start_trio, trio_settings
from tests.gateway.test_idempotency_takeover import fields_for

HELD = "gateway-held:1:dead"


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        yield gateway


@pytest.fixture
async def held(settings: Settings, trio: Trio, gw: Gateway, tmp_path: Path) -> AsyncIterator[Held]:
    async with held_gateway(settings, trio, tmp_path) as opened:
        opened.gateway.orders.instance = HELD
        yield opened


async def test_a_claim_of_a_process_whose_heartbeat_expired_is_taken_over_at_once(
    gw: Gateway, held: Held, trio: Trio
) -> None:
    group = await shared_group(gw)
    snapshot = await gw.catalog.snapshot()
    await gw.store.beat(HELD, "gateway", expires_at=datetime.now(UTC) + timedelta(hours=1))
    held.hold()
    first = held.gateway.orders.place(
        snapshot, "c", group.id, fields_for(group), idempotency_key="k"
    )
    first_task = asyncio.create_task(first)

    async def claimed() -> IdempotencyClaim | None:
        if first_task.done():
            first_task.result()
        return await gw.store.idempotency_claim("c", "k")

    claim = await eventually(claimed, "the held request claims its key")
    assert not claim.orphaned

    # Waits measured from the claim would keep retries out for an hour.
    gw.orders.idempotency_patience = 0
    gw.orders.idempotency_wait = 3600
    with pytest.raises(IdempotencyPending):
        await gw.place("c", group.id, fields_for(group), idempotency_key="k")

    # The held process dies: its heartbeat runs out.
    await gw.store.beat(HELD, "gateway", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    orphaned = await gw.store.idempotency_claim("c", "k")
    assert orphaned is not None
    assert orphaned.orphaned
    retry = await gw.place("c", group.id, fields_for(group), idempotency_key="k")
    assert retry.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 1

    held.release()
    late = await first_task
    assert late.id == retry.id, "the stalled request answers with the key's order"
    assert sum(trio.calls("add").values()) == 1
    assert [o.id for o in await gw.store.list_orders("c", None, None, 10)] == [retry.id]
