"""A provider's rate and calls in flight hold across the fleet: four processes (two acting as
gateways, placing orders and reading balances, two as workers, polling statuses), each with
the providers `Gateway.open` builds, together stay within the panel's ``calls_per_minute`` and
``concurrency``, as the panel itself counts; reads never take the share kept for writes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.config import GatewaySection, LimitsSection, ProviderSection, Settings
from gateway.store import Store
from providers.models import ServiceType
from providers.share import reads_share
from providers.simulator import Fault, FaultKind, SimulatorServer, simulator
from tests.gateway.workers.helpers import place_upstream

ROOT = Path(__file__).resolve().parents[2]
RATE = 40
"""calls_per_minute: each process alone would make up to this many calls in a minute."""
CONCURRENCY = 3
WINDOW = 60.0


class CallLog:
    """ASGI middleware in front of a panel: when each call arrived, its action, and the most
    calls (and read calls) it had in flight at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: list[tuple[float, str]] = []
        self.in_flight = {"all": 0, "reads": 0}
        self.most = {"all": 0, "reads": 0}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        action = dict(parse_qsl(body.decode())).get("action", "?")
        kinds = ["all"] if action == "add" else ["all", "reads"]
        with self._lock:
            self.calls.append((time.monotonic(), action))
            for kind in kinds:
                self.in_flight[kind] += 1
                self.most[kind] = max(self.most[kind], self.in_flight[kind])
        sent = False

        async def replay() -> dict[str, object]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        try:
            await self.app(scope, replay, send)
        finally:
            with self._lock:
                for kind in kinds:
                    self.in_flight[kind] -= 1

    def most_in_any_window(self, actions: set[str] | None = None) -> int:
        """The most calls (of `actions`) that arrived within any `WINDOW` seconds."""
        times = sorted(t for t, a in self.calls if actions is None or a in actions)
        return max((sum(1 for u in times if t <= u < t + WINDOW) for t in times), default=0)


@pytest.fixture
def panel() -> Iterator[tuple[SimulatorServer, CallLog]]:
    sim = simulator(seed=11, services=60, profile="seed", balance="1000000")
    log = CallLog(sim.app)
    sim.app = log  # type: ignore[assignment]  # any ASGI app serves
    # Every call takes a while, so that calls overlap and wait for each other's slots.
    sim.faults.add(Fault(FaultKind.LATENCY, params={"ms": 150}))
    with sim:
        yield sim, log


def fleet_settings(sim: SimulatorServer, database_url: str, redis_url: str, ns: str) -> Settings:
    return Settings(
        gateway=GatewaySection(
            database_url=database_url, redis_url=redis_url, cache_namespace=ns
        ),
        providers=[
            ProviderSection(
                name="alpha", kind="simulator", url=sim.url, key_env="ALPHA_KEY",
                profile="seed", calls_per_minute=RATE, concurrency=CONCURRENCY, timeout=1,
            )
        ],
        limits=LimitsSection(per_key="100000/minute", anonymous="100000/minute"),
    )  # fmt: skip


def start(settings: Settings, sim: SimulatorServer, tmp: Path) -> list[subprocess.Popen[bytes]]:
    """Two processes acting as gateways (reads and adds), two as workers (status reads)."""
    service = next(
        s for s in sim.panel.services
        if s.type is ServiceType.DEFAULT and not s.dripfeed and s.min <= 100
    )  # fmt: skip
    order_ids = place_upstream(sim, RATE)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ALPHA_KEY": sim.key or ""}
    procs = []
    for n, role in enumerate(["gateway", "gateway", "worker", "worker"]):
        spec = tmp / f"fleet-{n}.json"
        spec.write_text(json.dumps({
            "settings": settings.model_dump(mode="json"), "provider": "alpha", "role": role,
            "reads": RATE, "adds": 3 if role == "gateway" else 0, "order_ids": order_ids,
            "service": str(service.id), "quantity": service.min,
        }))  # fmt: skip
        with (tmp / f"fleet-{n}.log").open("wb") as log:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "tests.gateway.fleet_limits_process", str(spec)],
                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            ))  # fmt: skip
    return procs


def run_fleet(sim: SimulatorServer, settings: Settings, tmp: Path) -> list[dict[str, list[str]]]:
    """Start the four processes, let them go at once, and read what each call came to."""
    procs = start(settings, sim, tmp)
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == b"ready", line
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        outputs = [p.communicate(None, 120) for p in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    logs = "\n".join(p.read_text(errors="replace") for p in sorted(tmp.glob("fleet-*.log")))
    assert all(p.returncode == 0 for p in procs), logs
    return [json.loads(out.splitlines()[-1]) for out, _ in outputs]


async def test_rate_and_calls_in_flight_hold_across_four_processes(
    panel: tuple[SimulatorServer, CallLog],
    database_url: str,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    sim, log = panel
    settings = fleet_settings(sim, database_url, redis_url, namespace)
    async with await Store.connect(database_url) as store:
        await store.migrate()
    results = await asyncio.to_thread(run_fleet, sim, settings, tmp_path)

    reads = {"balance", "status"}
    # Demand: 4 x RATE reads and 6 adds, far beyond one minute's RATE calls.
    asked = sum(len(r["reads"]) + len(r["adds"]) for r in results)
    assert asked == 4 * RATE + 6
    refused = [o for r in results for o in r["reads"] if o != "ok"]
    assert refused, "the fleet's demand was throttled: some reads gave up waiting for a turn"
    assert set(refused) == {"Unavailable"}, "a read that waited too long never left"

    # What the panel received, in any minute: the configured rate, for the whole fleet.
    assert log.most_in_any_window() <= RATE
    assert log.most_in_any_window(reads) <= reads_share(RATE)
    assert log.most_in_any_window() >= reads_share(RATE), "the rate was used, not starved"
    assert log.most["all"] <= CONCURRENCY
    assert log.most["reads"] <= reads_share(CONCURRENCY)

    # Writes keep their share: every add went through while reads crowded the panel.
    adds = [o for r in results for o in r["adds"]]
    assert adds == ["ok"] * 6
    assert sum(1 for _, a in log.calls if a == "add") == 6
