"""``[workers] lease_seconds`` is how long a live worker's claim keeps an order from the others:
the standard status sync claims for exactly that long."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.config import Settings, WorkersSection
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.store.tables import orders
from gateway.workers import WorkerOptions, standard_jobs
from gateway.workers.broadcast import LocalBroadcast
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, trio_settings
from tests.gateway.workers.helpers import Now, eventually, insert_orders, place_upstream

LEASE = 777.0


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    base = trio_settings(trio, database_url, redis_url, namespace)
    # The stalled poll below must outlast the check, however slow the machine: one that
    # timed out would hand its order back for a retry instead of holding the claim.
    providers = [p.model_copy(update={"timeout": 60}) for p in base.providers]
    return base.model_copy(
        update={"workers": WorkersSection(lease_seconds=LEASE), "providers": providers}
    )


async def test_a_status_sync_claim_lasts_the_configured_lease(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    name, sim = next(iter(trio.sims.items()))
    [order_id] = await insert_orders(gw.store, name, place_upstream(sim, 1), next_poll_at=now())
    # The poll stalls, so the claim is seen while it is held.
    sim.faults.add(Fault(FaultKind.LATENCY, actions=frozenset({"status"}), params={"ms": 60_000}))
    [sync] = [
        job for job in standard_jobs(gw, LocalBroadcast(EventBus()), WorkerOptions(clock=now))
        if job.name == "status_sync"
    ]  # fmt: skip

    async def poll() -> None:
        await sync.run(name)

    polling = asyncio.create_task(poll())

    async def claimed_until() -> datetime:
        async with gw.store.transaction() as tx:
            query = select(orders.c.next_poll_at).where(orders.c.id == order_id)
            at: datetime = (await tx.execute(query)).scalar_one()
        return at

    async def claimed() -> bool:
        if polling.done():
            polling.result()
        return await claimed_until() > now()

    try:
        await eventually(claimed, within=30)
        assert await claimed_until() == now() + timedelta(seconds=LEASE)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
