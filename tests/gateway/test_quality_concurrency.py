"""Quality buckets under concurrent writers: two transactions finishing orders of one provider
service on one day, and two OS processes doing it at the same moment, add up exactly.

Run as a module, this file is one of those processes::

    python -m tests.gateway.test_quality_concurrency DATABASE_URL ORDERS
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.quality_backfill import backfill
from gateway.store import OrderRow, Store
from providers.models import OrderState
from tests.gateway.test_quality import Clock, Ledger, sums

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 25


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(database_url: str, clock: Clock) -> AsyncIterator[Store]:
    async with await Store.connect(database_url, clock=clock) as opened:
        yield opened


async def _waiting_on_a_lock(watcher: AsyncConnection) -> None:
    """Return once another session of this database waits for a lock (PostgreSQL)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(60):
        while True:
            waiting = (await watcher.execute(query)).scalar()
            # pg_stat_activity is read once per transaction: end it to read it again.
            await watcher.rollback()
            if waiting:
                return
            await asyncio.sleep(0.01)


async def _complete(ledger: Ledger, conn: AsyncConnection, row: OrderRow) -> None:
    async with conn.begin():
        await ledger.change_in(conn, row, state=OrderState.COMPLETED, remains=0)


@pytest.mark.parametrize("bucket", ["new", "existing"])
async def test_two_transactions_finishing_orders_on_one_bucket_add_up(
    store: Store, clock: Clock, bucket: str
) -> None:
    ledger = await Ledger.open(store, clock)
    if bucket == "existing":
        await ledger.finish(OrderState.COMPLETED, start=None, end=60)
    first, second = await ledger.placed(), await ledger.placed()
    clock.advance(30)
    engine = store.engine
    async with engine.connect() as one, engine.connect() as two, engine.connect() as watcher:
        tx = await one.begin()
        await ledger.change_in(one, first, state=OrderState.COMPLETED, remains=0)
        other = asyncio.create_task(_complete(ledger, two, second))
        if store.dialect == "postgresql":
            # The second transaction is held on the bucket the first wrote, not lost beside it.
            await _waiting_on_a_lock(watcher)
            assert not other.done()
        await tx.commit()
        await other
    [totals] = await sums(store, clock)
    expected = 3 if bucket == "existing" else 2
    assert (totals.counts.finished, totals.counts.completed) == (expected, expected)
    assert totals.counts.units_delivered == 1000 * expected
    await backfill(store)
    assert await sums(store, clock) == [totals]


async def test_a_rebuild_beside_an_order_finishing_counts_it_once(
    store: Store, clock: Clock
) -> None:
    ledger = await Ledger.open(store, clock)
    for _ in range(3):
        await ledger.finish(OrderState.COMPLETED, start=None, end=60)
    late = await ledger.placed()
    async with store.engine.connect() as one, store.engine.connect() as watcher:
        tx = await one.begin()
        await ledger.change_in(one, late, state=OrderState.COMPLETED, remains=0)
        rebuild = asyncio.create_task(backfill(store))
        if store.dialect == "postgresql":
            await _waiting_on_a_lock(watcher)
            assert not rebuild.done()
        await tx.commit()
        await rebuild
    [totals] = await sums(store, clock)
    assert totals.counts.finished == 4


def _start(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.test_quality_concurrency", url, str(ORDERS)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the process did not start: {line!r}\n{err}")


async def test_two_processes_finishing_orders_at_once_add_up(
    database_url: str, store: Store, clock: Clock
) -> None:
    procs = [_start(database_url) for _ in range(2)]
    try:
        for proc in procs:
            await asyncio.to_thread(_ready, proc)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            _, err = await asyncio.to_thread(proc.communicate, timeout=300)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    clock.now = datetime.now(UTC)
    [totals] = await sums(store, clock)
    assert (totals.counts.finished, totals.counts.completed) == (2 * ORDERS, 2 * ORDERS)
    assert totals.counts.units_delivered == 2 * ORDERS * 1000
    await backfill(store)
    assert await sums(store, clock) == [totals]


async def _process(url: str, count: int) -> None:
    """Place `count` orders, say ``ready``, wait for ``go``, then finish them one by one."""
    async with await Store.connect(url) as store:
        ledger = await Ledger.open(store, Clock())
        rows = [await ledger.placed() for _ in range(count)]
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        for row in rows:
            await ledger.change(row, state=OrderState.COMPLETED, remains=0)
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(_process(sys.argv[1], int(sys.argv[2])))
