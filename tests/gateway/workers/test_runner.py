"""The in-process runner: every key on its own schedule, errors survive, a graceful stop."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from gateway.workers import PeriodicJob, Runner
from tests.gateway.workers.helpers import eventually


async def test_each_partition_runs_on_its_own_and_errors_do_not_stop_the_loop() -> None:
    runs: Counter[str | None] = Counter()

    async def work(part: str | None) -> None:
        runs[part] += 1
        if part == "bad":
            raise RuntimeError("a bad run")

    runner = Runner([PeriodicJob("sync", 0.01, work, ("a", "bad")), PeriodicJob("one", 0.01, work)])
    async with runner:
        await eventually(lambda: min(runs[p] for p in ("a", "bad", None)) >= 3)
    assert runs["bad"] >= 3, "a failing run is logged and tried again"


async def test_close_lets_a_run_in_flight_finish() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(_: str | None) -> None:
        started.set()
        await asyncio.sleep(0.1)
        finished.set()

    runner = Runner([PeriodicJob("slow", 60, slow)], grace=5)
    await runner.start()
    await started.wait()
    await runner.aclose()
    assert finished.is_set()


async def test_close_cancels_a_run_past_the_grace_period() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def stuck(_: str | None) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    runner = Runner([PeriodicJob("stuck", 60, stuck)], grace=0.05)
    await runner.start()
    await started.wait()
    await runner.aclose()
    assert cancelled.is_set()


async def test_run_once_runs_every_key() -> None:
    seen: list[str | None] = []

    async def work(part: str | None) -> None:
        seen.append(part)

    await Runner([PeriodicJob("s", 1, work, ("x", "y")), PeriodicJob("t", 1, work)]).run_once()
    assert sorted(seen, key=str) == sorted(["x", "y", None], key=str)


async def test_a_runner_starts_once() -> None:
    async def idle(_: str | None) -> None:
        return None

    runner = Runner([PeriodicJob("idle", 60, idle)])
    async with runner:
        with pytest.raises(RuntimeError):
            await runner.start()
