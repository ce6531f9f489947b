"""Reads never take all of a provider's calls in flight or of its rate: an `add` goes through
while status polls fill everything they may take."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from providers.models import OrderRequest, ServiceType
from providers.profiles import PROFILES
from providers.share import ReadShare
from providers.simulator import ManualClock, SimulatorServer, simulator
from providers.v2 import V2Provider


class HoldStatus:
    """ASGI middleware in front of a simulator: every ``status`` call waits for `release`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.held = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"action=status" in scope.get("query_string", b""):
            with self._lock:
                self.held += 1
            await asyncio.to_thread(self.release.wait, 30)
        await self.app(scope, receive, send)


@pytest.fixture
def hold() -> Iterator[tuple[SimulatorServer, HoldStatus]]:
    sim = simulator(seed=5, services=40, profile="get_v1", clock=ManualClock())
    holder = HoldStatus(sim.app)
    sim.app = holder  # type: ignore[assignment]  # any ASGI app serves
    with sim:
        yield sim, holder
        holder.release.set()


async def request_for(panel: V2Provider) -> OrderRequest:
    service = next(s for s in await panel.services() if s.type is ServiceType.DEFAULT)
    return OrderRequest(service=service.id, link="https://example.com/p", quantity=service.min)


@pytest.fixture
async def panel(hold: tuple[SimulatorServer, HoldStatus]) -> AsyncIterator[V2Provider]:
    sim, _ = hold
    async with V2Provider(
        "held", sim.url, sim.key or "", profile=PROFILES["get_v1"], concurrency=4, deadline=5
    ) as adapter:
        yield adapter


async def test_an_add_goes_through_while_reads_fill_their_share_of_calls_in_flight(
    panel: V2Provider, hold: tuple[SimulatorServer, HoldStatus]
) -> None:
    _, holder = hold
    request = await request_for(panel)
    order = await panel.add(request)
    polls = [asyncio.create_task(panel.status([order.order])) for _ in range(8)]
    for _ in range(500):  # wait until the reads hold every slot they may take
        if holder.held >= 3:
            break
        await asyncio.sleep(0.01)
    assert holder.held == 3, "reads take 3 of the 4 calls in flight"

    placed = await panel.add(request)
    assert placed.order
    assert not any(p.done() for p in polls), "the reads are still held"
    holder.release.set()
    answers = await asyncio.gather(*polls)
    assert all(order.order in a for a in answers)


async def test_reads_leave_a_share_of_the_rate_to_writes(
    hold: tuple[SimulatorServer, HoldStatus],
) -> None:
    sim, holder = hold
    holder.release.set()
    assert ReadShare(4, 4).calls_per_minute == 3
    async with V2Provider(
        "rated", sim.url, sim.key or "", profile=PROFILES["get_v1"], calls_per_minute=4,
        deadline=5,
    ) as panel:  # fmt: skip
        request = await request_for(panel)  # the first read of the minute
        reads = [asyncio.create_task(panel.balance()) for _ in range(3)]
        for _ in range(500):  # two more pass; the third waits for the next minute
            if sum(r.done() for r in reads) >= 2:
                break
            await asyncio.sleep(0.01)
        assert sum(r.done() for r in reads) == 2
        placed = await panel.add(request)  # the fourth call of the minute: a write's own
        assert placed.order
        assert sum(r.done() for r in reads) == 2
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)
