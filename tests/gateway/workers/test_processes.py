"""Worker processes against one Redis and one database: no double poll, no duplicate event,
and a worker killed mid-sync whose work is finished by the next one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.workers import RedisBroadcast
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import PANELS, Trio
from tests.gateway.workers.helpers import (
    StatusRecorder,
    eventually,
    insert_orders,
    open_count,
    outbox_ids,
    place_upstream,
)

ROOT = Path(__file__).resolve().parents[3]


class Workers:
    """Worker processes started from one spec, their output kept for a failing test."""

    def __init__(self, settings: Settings, trio: Trio, tmp: Path, *, lease: float) -> None:
        self.spec = tmp / "worker.json"
        self.spec.write_text(
            json.dumps(
                {"settings": settings.model_dump(mode="json"), "lease": lease, "heartbeat": 2}
            )
        )
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for spec in PANELS:
            self.env[f"{spec.name.upper()}_KEY"] = trio.sims[spec.name].key or ""
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.gateway.workers.worker_process", str(self.spec)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self) -> list[int]:
        """SIGTERM every live worker and wait: the graceful path."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout=20))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("*.log")))


@contextmanager
def workers(settings: Settings, trio: Trio, tmp: Path, *, lease: float) -> Iterator[Workers]:
    group = Workers(settings, trio, tmp, lease=lease)
    try:
        yield group
    except BaseException:
        group.stop()
        print(group.logs())
        raise
    group.stop()


class Heard:
    """Every event broadcast on the deployment's channel, as a gateway instance hears it."""

    def __init__(self) -> None:
        self.ids: list[str] = []


@pytest.fixture
async def heard(redis_url: str, namespace: str) -> AsyncIterator[Heard]:
    broadcast = RedisBroadcast(redis_url, f"{namespace}:events")
    bus = EventBus(backlog=100_000)
    found = Heard()
    subscribed, listening = asyncio.Event(), asyncio.Event()

    async def collect() -> None:
        async with bus.subscribe() as events:
            subscribed.set()
            async for event in events:
                found.ids.append(event.id)

    tasks = [asyncio.create_task(collect()), asyncio.create_task(broadcast.listen(bus, listening))]
    await subscribed.wait()
    await listening.wait()
    try:
        yield found
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await broadcast.aclose()


async def seed(gw: Gateway, trio: Trio, total: int) -> dict[str, list[str]]:
    """`total` open orders spread over the panels, all settled upstream by now."""
    names = list(trio.sims)
    placed: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        count = total // len(names) + (1 if i < total % len(names) else 0)
        placed[name] = place_upstream(trio.sims[name], count)
        await insert_orders(gw.store, name, placed[name])
    trio.advance(2 * 86400)
    return placed


async def settled(gw: Gateway, heard: Heard) -> bool:
    if await open_count(gw.store) or await gw.store.pending_outbox(1):
        return False
    return len(heard.ids) >= len(await outbox_ids(gw.store))


async def test_two_workers_sync_1000_orders_without_a_double_poll_or_duplicate_event(
    gw: Gateway,
    trio: Trio,
    settings: Settings,
    heard: Heard,
    recorders: dict[str, StatusRecorder],
    tmp_path: Path,
) -> None:
    placed = await seed(gw, trio, 1000)
    with workers(settings, trio, tmp_path, lease=30) as group:
        group.start()
        group.start()
        await eventually(lambda: settled(gw, heard), within=60, interval=0.1)
        # One worker may finish everything before the other is up: SIGTERM only once both
        # have started, else it would stop a process still importing.
        await eventually(lambda: group.logs().count("Worker starting") == 2, within=60)
        codes = group.stop()
    assert codes == [0, 0], "SIGTERM stops a worker cleanly"
    logs = group.logs()
    assert logs.count("Worker starting") == 2
    for name, pids in placed.items():
        polled = Counter(recorders[name].ids)
        assert sorted(polled) == sorted(pids)
        assert set(polled.values()) == {1}, f"an order of {name} was polled twice"
        assert all(len(b) <= 100 for b in recorders[name].batches)
    assert sum(len(r.batches) for r in recorders.values()) == sum(
        -(-len(p) // 100) for p in placed.values()
    )
    ids = await outbox_ids(gw.store)
    assert len(ids) == 1000, "one event per order: its move to a final state"
    assert Counter(heard.ids) == Counter(ids), "every event broadcast exactly once"


async def test_a_worker_killed_mid_sync_is_finished_by_the_next(
    gw: Gateway,
    trio: Trio,
    settings: Settings,
    heard: Heard,
    recorders: dict[str, StatusRecorder],
    tmp_path: Path,
) -> None:
    placed = await seed(gw, trio, 300)
    slow = Fault(FaultKind.LATENCY, actions=frozenset({"status"}), params={"ms": 1500})
    for sim in trio.sims.values():
        sim.faults.add(slow)
    # A slow call must end by answering, not by timing out (which would put its orders off
    # for a minute's retry), however loaded the machine.
    patient = [p.model_copy(update={"timeout": 60}) for p in settings.providers]
    with workers(
        settings.model_copy(update={"providers": patient}), trio, tmp_path, lease=3
    ) as group:
        first = group.start()
        await eventually(lambda: any(r.batches for r in recorders.values()), within=30)
        first.kill()
        assert first.wait(timeout=10) == -signal.SIGKILL
        for sim in trio.sims.values():
            sim.faults.clear()
        group.start()
        await eventually(lambda: settled(gw, heard), within=60, interval=0.1)
    for name, pids in placed.items():
        assert set(recorders[name].ids) == set(pids)
    ids = await outbox_ids(gw.store)
    assert len(ids) == 300
    assert Counter(heard.ids) == Counter(ids)
    for order in await gw.store.list_orders(limit=1000):
        kinds = [e.kind for e in await gw.store.order_events(order.id)]
        assert kinds.count("status") == 1, "each change recorded once"
