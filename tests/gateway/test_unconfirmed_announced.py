"""Each UNCONFIRMED order is announced once (``order.unconfirmed``), however it became so: an
ambiguous send, a send marked interrupted while still running, settling run again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from gateway import events
from gateway.config import Settings
from gateway.core import Gateway
from gateway.store import GatewayState
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings
from tests.gateway.unconfirmed import fields, outbox_of, unconfirmed
from tests.gateway.workers.helpers import eventually


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=120)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        yield gateway


async def test_an_unconfirmed_order_is_announced_once(gw: Gateway, trio: Trio) -> None:
    ambiguous = await unconfirmed(gw, trio, FaultKind.DROP)
    assert await gw.orders.settle_interrupted(timedelta(0)) == []
    kinds = [e["type"] for e in await outbox_of(gw, ambiguous.id)]
    assert kinds == [events.ORDER_CREATED, events.ORDER_UNCONFIRMED]


async def test_an_order_marked_unconfirmed_while_sending_is_announced_once(
    gw: Gateway, trio: Trio
) -> None:
    service, order_fields = await fields(gw)
    first = (await gw.quote(service, order_fields)).candidates[0].offer.provider
    sim = trio.sims[first]
    # The panel holds the call past the client's timeout: the send ends ambiguous, after the
    # order was marked UNCONFIRMED as if its process had died.
    sim.faults.add(Fault(FaultKind.TIMEOUT, actions=frozenset({"add"}), params={"seconds": 30}))
    placing = asyncio.create_task(gw.place("c", service, order_fields))
    await eventually(lambda: sim.panel.calls["add"] == 1)
    [marked] = await gw.orders.settle_interrupted(timedelta(0))
    order = await placing
    assert order.id == marked.id
    assert order.state == GatewayState.UNCONFIRMED
    kinds = [e["type"] for e in await outbox_of(gw, order.id)]
    assert kinds.count(events.ORDER_UNCONFIRMED) == 1
