"""Work the status sync starts beside itself (a catalog re-sync after an overcharge) never
outlives a run that stops early; and `Runner.run_once` stops its other runs on a failure."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from gateway.core import Gateway
from gateway.workers import PeriodicJob, Runner, StatusSync
from gateway.workers.together import together
from providers.simulator.faults import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import Now
from tests.gateway.workers.test_true_charges import only_at, place


class StuckResync:
    """A catalog re-sync that never finishes on its own; records that it was stopped."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def __call__(self, provider: str, newest: datetime) -> None:
        self.started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


async def test_a_cancelled_sync_stops_the_catalog_resync_it_started(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    # alpha's service costs twice what the gateway quoted: polling it starts a re-sync.
    group = await only_at(gw, "alpha")
    service = group.members[0].service
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{trio.sims['alpha'].base_url}/_sim/services/{service.id}",
            json={"rate": f"{service.rate.amount * 2:f}"},
        )
    assert answer.status_code == 200, answer.text
    await place(gw, group)
    await place(gw, await only_at(gw, "beta"))
    # beta's status call is held in flight, so the run is still going when alpha's re-sync is.
    beta = trio.sims["beta"].faults
    beta.add(Fault(FaultKind.HOLD, actions=frozenset({"status"}), params={"seconds": 30}))
    resync = StuckResync()
    sync = StatusSync(gw.store, gw.providers, clock=now, resync=resync)
    now.advance(60)
    run = asyncio.create_task(sync.run())
    try:
        await asyncio.wait_for(resync.started.wait(), 20)
        assert not run.done(), "beta's poll is still held"
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert resync.cancelled.is_set(), "the re-sync was stopped with the run"
    finally:
        beta.release()


async def test_together_stops_the_others_when_one_fails_and_raises_its_error() -> None:
    stopped = asyncio.Event()

    async def waits() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            stopped.set()
            raise

    async def fails() -> None:
        await asyncio.sleep(0)
        raise LookupError("a failed run")

    started = asyncio.ensure_future(waits())
    with pytest.raises(LookupError, match="a failed run"):
        await together([started, fails()])
    assert stopped.is_set()
    assert started.cancelled()


async def test_run_once_stops_the_other_runs_when_one_fails() -> None:
    stopped = asyncio.Event()

    async def work(part: str | None) -> None:
        if part == "bad":
            raise RuntimeError("a bad run")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            stopped.set()
            raise

    runner = Runner([PeriodicJob("sync", 1, work, ("good", "bad"))])
    with pytest.raises(RuntimeError, match="a bad run"):
        await asyncio.wait_for(runner.run_once(), 20)
    assert stopped.is_set(), "the good run did not go on after run_once raised"
