"""The status-sync benchmark: 10,000 open orders over five simulated panels with 50 ms latency.

::

    python -m bench.sync
    python -m bench.sync --orders 10000 --database-url postgresql+asyncpg://postgres@127.0.0.1/b

The panels run in this process, on loopback, over real HTTP; every order is settled upstream, so
each poll records a change (ledger row, history entry, outbox event). It prints the upstream
status calls (10,000 orders at 100 ids a call: 100) and the wall time beside the floor that
latency, batch size and per-provider concurrency allow:
``ceil(ceil(orders per provider / 100) / concurrency) * latency``, providers in parallel. The
process's CPU time is printed too (on a shared machine it moves less than the wall time), and
the main thread's: the event loop, where the sync's own work runs (the panels run in threads
of their own, SQLite's commits and reads in aiosqlite's).
``--statements`` adds each statement's time as the client saw it (from sending it to its
result: with the event loop busy, more than the server's own time), slowest first.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time, thread_time
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine

from gateway import heap
from gateway.store import Store
from gateway.store.tables import orders
from gateway.workers import StatusSync
from providers.base import MAX_BATCH, Provider
from providers.models import ServiceType
from providers.profiles import SEED
from providers.registry import ProviderConfig, build
from providers.simulator import ManualClock, SimulatorServer, simulator

PANELS = 5
LATENCY_MS = 50.0


def start_panels(stack: ExitStack, clock: ManualClock) -> dict[str, SimulatorServer]:
    # A run tag keeps provider names new, so a reused database never sees a repeated id.
    tag = secrets.token_hex(3)
    return {
        f"panel{i}-{tag}": stack.enter_context(
            simulator(seed=i, services=50, latency_ms=LATENCY_MS, balance="10000000", clock=clock)
        )
        for i in range(PANELS)
    }


LINK = "https://instagram.com/p/bench"


def place_upstream(sim: SimulatorServer, count: int) -> list[str]:
    """Orders placed in the panel directly: the set-up is not what is measured."""
    service = next(s for s in sim.panel.services if s.type is ServiceType.DEFAULT)
    return [
        str(
            sim.panel.add(
                sim.key or "", service.id, {"link": f"u{n}", "quantity": str(service.min)}
            ).id
        )
        for n in range(count)
    ]


async def insert_ledger(store: Store, provider: str, pids: list[str]) -> None:
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            # As placement leaves an order: a link panels take, sent (so a finished order
            # counts in the quality book, as a real one does).
            "client_id": "bench", "request": {"service": "1", "link": f"{LINK}{pid}",
                                              "quantity": 10},
            "state": "PENDING", "provider": provider, "provider_service_id": "1",
            "provider_order_id": pid, "attempts": [], "created_at": now, "updated_at": now,
            "sent_at": now, "next_poll_at": now, "version": 1,
        }
        for pid in pids
    ]  # fmt: skip
    async with store.transaction() as tx:
        await tx.execute(orders.insert(), rows)


async def run(total: int, database_url: str) -> None:
    clock = ManualClock()
    with ExitStack() as stack:
        sims = start_panels(stack, clock)
        store = await Store.connect(database_url)
        await store.migrate()
        providers: dict[str, Provider] = {
            name: build(
                ProviderConfig(
                    name=name, kind="simulator", url=sim.url, key=SecretStr(sim.key or ""),
                    profile="seed", timeout=10,
                )
            )
            for name, sim in sims.items()
        }  # fmt: skip
        try:
            per_provider = {name: total // PANELS for name in sims}
            for name, sim in sims.items():
                await insert_ledger(store, name, place_upstream(sim, per_provider[name]))
            if store.dialect == "postgresql":
                # Planner statistics, as autovacuum keeps them on a live server (a server run
                # with autovacuum off has none for tables only ever inserted into, and plans
                # the quality start-time lookup as a scan of every history entry).
                async with store.transaction() as tx:
                    await tx.exec_driver_sql("ANALYZE orders, order_events, outbox")
            clock.advance(7 * 86400)  # every order settled upstream: each poll is a change
            before = sum(sim.panel.calls["status"] for sim in sims.values())
            sync = StatusSync(store, providers, lanes=SEED.concurrency)
            heap.settle()  # as a worker process does once started
            started, cpu_started, main_started = perf_counter(), process_time(), thread_time()
            report = await sync.run()
            wall, cpu = perf_counter() - started, process_time() - cpu_started
            main_cpu = thread_time() - main_started
            calls = sum(sim.panel.calls["status"] for sim in sims.values()) - before
        finally:
            for provider in providers.values():
                await provider.aclose()
            await store.aclose()
    rounds = max(
        math.ceil(math.ceil(n / MAX_BATCH) / SEED.concurrency) for n in per_provider.values()
    )
    floor = rounds * LATENCY_MS / 1000
    print(
        f"orders {total} over {PANELS} providers, {LATENCY_MS:g} ms latency, "
        f"{MAX_BATCH} ids a call, concurrency {SEED.concurrency} per provider, {store.dialect}"
    )
    print(f"upstream status calls   {calls}")
    print(f"orders polled / changed {report.polled} / {report.changed}")
    print(f"wall time               {wall:.3f} s")
    print(f"CPU time (process)      {cpu:.3f} s  (panels included: they run in this process)")
    print(f"CPU time (main thread)  {main_cpu:.3f} s  (the event loop: the gateway's side)")
    print(f"latency floor           {floor:.3f} s  ({rounds} rounds of {LATENCY_MS:g} ms)")
    print(f"wall / floor            {wall / floor:.1f}x")  # fmt: skip


class StatementTimes:
    """Each statement's calls, rows and total time, from SQLAlchemy's cursor events."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info.setdefault("bench_started", []).append(perf_counter())

    def _after(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        took = perf_counter() - conn.info["bench_started"].pop()
        total = self.totals.setdefault(" ".join(sql.split())[:100], [0, 0, 0.0])
        total[0] += 1
        total[1] += len(params) if many else 1
        total[2] += took

    def print(self, top: int = 10) -> None:
        print("statements (client-side time, slowest first):")
        for sql, (calls, rows, took) in sorted(self.totals.items(), key=lambda t: -t[1][2])[:top]:
            print(f"  {took:7.3f} s {int(calls):5d} calls {int(rows):6d} rows  {sql}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--statements", action="store_true", help="time each statement")
    args = parser.parse_args()
    times = StatementTimes() if args.statements else None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(args.orders, url))
    if times is not None:
        times.print()


if __name__ == "__main__":
    main()
