"""A SIGKILLed worker's claimed orders are polled again once its heartbeat expires, long
before their lease would have run out."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import select

from gateway.config import Settings, WorkersSection
from gateway.core import Gateway
from gateway.store.tables import orders
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import StatusRecorder, eventually
from tests.gateway.workers.test_processes import Heard, heard, seed, settled, workers

__all__ = ["heard"]

LEASE = 3600.0
"""Far beyond the test: only liveness can give the orders back."""
STALL = 60
"""Seconds a status call hangs in the first phase: it ends with the kill, never by itself."""


async def claimed_by(gw: Gateway) -> dict[int, str | None]:
    async with gw.store.transaction() as tx:
        rows = await tx.execute(select(orders.c.id, orders.c.claimed_by))
        return {int(i): c for i, c in rows}


async def test_a_killed_workers_orders_are_polled_again_within_the_heartbeat_timeout(
    gw: Gateway,
    trio: Trio,
    settings: Settings,
    heard: Heard,
    recorders: dict[str, StatusRecorder],
    tmp_path: Path,
) -> None:
    fleet = settings.model_copy(
        update={
            "workers": WorkersSection(
                in_process=False, heartbeat_seconds=0.5, heartbeat_timeout_seconds=3
            ),
            # The stalled calls below must not time out before the kill, however slow the
            # machine: a timed-out poll hands its orders back for a retry a minute later.
            "providers": [p.model_copy(update={"timeout": STALL}) for p in settings.providers],
        }
    )
    placed = await seed(gw, trio, 300)
    # Status calls stall: the first worker is killed while holding its claims.
    stall = Fault(FaultKind.LATENCY, actions=frozenset({"status"}), params={"ms": 1000 * STALL})
    for sim in trio.sims.values():
        sim.faults.add(stall)
    with workers(fleet, trio, tmp_path, lease=LEASE) as group:
        first = group.start()
        await eventually(lambda: any(r.batches for r in recorders.values()), within=30)

        async def some_claimed() -> bool:
            return any(c is not None for c in (await claimed_by(gw)).values())

        await eventually(some_claimed, within=30)
        held = {i for i, c in (await claimed_by(gw)).items() if c is not None}
        first.kill()
        assert first.wait(timeout=10) == -signal.SIGKILL
        for sim in trio.sims.values():
            sim.faults.clear()
        polled_before = {name: len(r.ids) for name, r in recorders.items()}
        group.start()
        # The lease (an hour) is far away: only the dead worker's expired heartbeat frees them.
        await eventually(lambda: settled(gw, heard), within=60, interval=0.1)
    for name, pids in placed.items():
        assert set(recorders[name].ids[polled_before[name] :]) >= set(
            recorders[name].ids[: polled_before[name]]
        ), "every order the killed worker had asked for is asked for again"
        assert set(recorders[name].ids) == set(pids)
    assert held, "the killed worker held claims"
    assert all(c is None for c in (await claimed_by(gw)).values())
