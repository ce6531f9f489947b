"""Provider quality from orders with known outcomes: the buckets each finished order adds to in
its final transaction, the figures over a window, the minimum sample, and the rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.cache import MemoryCache
from gateway.quality import Figure, QualityBook
from gateway.quality_backfill import backfill
from gateway.store import GatewayState, OrderRow, Store
from gateway.store.quality import (
    ServiceTotals,
    locked_refill,
    record_finished,
    record_finished_many,
    record_refill,
    window_sums,
)
from gateway.store.quality_tables import provider_quality
from gateway.store.rows import RefillRow
from gateway.store.sync import PolledChange
from providers.models import OrderState, RefillState


class Clock:
    """Aware UTC time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(database_url: str, clock: Clock) -> AsyncIterator[Store]:
    async with await Store.connect(database_url, clock=clock) as opened:
        yield opened


async def recorded(tx: AsyncConnection) -> int:
    """Every order and refill counted in any bucket so far, as `tx` sees them."""
    c = provider_quality.c
    query = select(func.sum(c.finished + c.failed + c.refills_requested + c.refills_finished))
    return int((await tx.execute(query)).scalar() or 0)


@asynccontextmanager
async def unless_recorded(tx: AsyncConnection) -> AsyncIterator[Callable[[], Awaitable[bool]]]:
    """Whether the store's own writes inside the block already recorded quality: until
    ``update_order``, ``apply_polled`` and ``update_refill`` make the call themselves (see the
    integration notes), the tests make it as they will, and never both."""
    before = await recorded(tx)

    async def done() -> bool:
        return await recorded(tx) != before

    yield done


async def change(store: Store, row: OrderRow, kind: str = "status", **changes: Any) -> OrderRow:
    """An order's change as the ledger makes it, with the quality update in its transaction
    (the line ``update_order`` gains)."""
    async with store.transaction() as tx, unless_recorded(tx) as done:
        after = await store.update_order(row.id, event_kind=kind, tx=tx, **changes)
        if not await done():
            await record_finished(tx, row, after)
    return after


async def placed(
    store: Store, provider: str = "alpha", service: str = "1", quantity: int | None = 1000
) -> OrderRow:
    request: dict[str, Any] = {"service": "9", "link": "https://instagram.com/x"}
    if quantity is not None:
        request["quantity"] = quantity
    row = await store.create_order(
        client_id="c", request=request, provider=provider, provider_service_id=service
    )
    row = await store.mark_sent(row.id, row.version)
    return await change(store, row, "placed", state=OrderState.PENDING, provider_order_id="p")


async def finish(
    store: Store,
    clock: Clock,
    state: str,
    *,
    start: float | None,
    end: float,
    remains: int | None = None,
    **order: Any,
) -> OrderRow:
    """An order sent now, showing progress `start` seconds later (never, for None), and
    reaching `state` `end` seconds after it was sent; the clock ends where it began."""
    began = clock.now
    row = await placed(store, **order)
    if start is not None:
        clock.advance(start)
        row = await change(store, row, state=OrderState.IN_PROGRESS)
    clock.now = began + timedelta(seconds=end)
    row = await change(store, row, state=state, remains=remains)
    clock.now = began
    return row


async def refill(store: Store, order: OrderRow, *states: str) -> RefillRow:
    """A refill the provider accepts, then moves through `states`; each change with its
    quality update in its transaction (the lines ``update_refill`` gains)."""
    claimed = await store.create_refill(order.id, order.provider or "", None)
    after = claimed
    for state, pid in [(RefillState.PENDING.value, f"r{claimed.id}"), *((s, None) for s in states)]:
        async with store.transaction() as tx, unless_recorded(tx) as done:
            before = await locked_refill(tx, claimed.id)
            if pid is not None:
                after = await store.update_refill(
                    claimed.id, state=state, status_raw=None, provider_refill_id=pid, tx=tx
                )
            else:
                after = await store.update_refill(claimed.id, state=state, status_raw=None, tx=tx)
            if not await done():
                await record_refill(tx, before, after)
    return after


async def known_outcomes(store: Store, clock: Clock) -> None:
    """Alpha's service 1: two quick completions, a partial, a cancel, a refusal, a slow start;
    service 2: one completion. Two refills: one completes, one is rejected."""
    done = await finish(store, clock, OrderState.COMPLETED, start=60, end=3600)
    await finish(store, clock, OrderState.COMPLETED, start=60, end=3600)
    await finish(store, clock, OrderState.PARTIAL, start=120, end=4000, remains=400)
    await finish(store, clock, OrderState.CANCELED, start=None, end=300, remains=500, quantity=500)
    failed = await placed(store)
    await change(store, failed, "failed", state=GatewayState.FAILED, error="Incorrect link")
    await finish(store, clock, OrderState.COMPLETED, start=7200, end=10800, quantity=2000)
    await finish(store, clock, OrderState.COMPLETED, start=30, end=600, service="2", quantity=100)
    await refill(store, done, RefillState.IN_PROGRESS.value, RefillState.COMPLETED.value)
    await refill(store, done, RefillState.REJECTED.value)


def book(store: Store, clock: Clock, **options: Any) -> QualityBook:
    return QualityBook(store, MemoryCache(), clock=clock, **{"min_sample": 1, **options})


async def test_orders_with_known_outcomes_give_exactly_the_expected_figures(
    store: Store, clock: Clock
) -> None:
    await known_outcomes(store, clock)
    report = await book(store, clock).report()
    service = report.service("alpha", "1")
    assert service is not None
    assert service.orders == 5
    assert service.completion_rate == Figure(Decimal(3) / 5, 5)
    assert service.partial_rate == Figure(Decimal(1) / 5, 5)
    assert service.cancel_rate == Figure(Decimal(1) / 5, 5)
    assert service.failure_rate == Figure(Decimal(1) / 6, 6)
    # 1000 + 1000 + 600 + 0 + 2000 delivered of 1000 + 1000 + 1000 + 500 + 2000 ordered.
    assert service.delivered_fraction == Figure(Decimal(4600) / 5500, 5)
    # Started after 60, 60, 120 and 7200 s; the cancel never started.
    assert service.start_seconds == Figure(Decimal(1860), 4)
    # 3600 s for 1000 units twice, 10800 s for 2000 units.
    assert service.complete_seconds_per_1000 == Figure(Decimal(4200), 3)
    assert service.refill_success_rate == Figure(Decimal(1) / 2, 2)
    assert service.refills_requested == 2
    other = report.service("alpha", "2")
    assert other is not None
    assert other.complete_seconds_per_1000 == Figure(Decimal(6000), 1)
    alpha = report.provider("alpha")
    assert alpha is not None
    assert alpha.service is None
    assert alpha.orders == 6
    assert alpha.completion_rate == Figure(Decimal(4) / 6, 6)
    assert alpha.delivered_fraction == Figure(Decimal(4700) / 5600, 6)
    assert alpha.start_seconds == Figure(Decimal(7470) / 5, 5)
    assert alpha.complete_seconds_per_1000 == Figure(Decimal(18600) / 4, 4)
    assert report.provider("beta") is None


async def test_only_the_change_that_makes_an_order_final_counts(store: Store, clock: Clock) -> None:
    row = await finish(store, clock, OrderState.COMPLETED, start=10, end=20)
    # Later changes of a final order (a refill's history entry) add nothing.
    await change(store, row, "refill", event_data={"refill": 1})
    # An order refused before it was ever sent is no provider's doing.
    unsent = await store.create_order(
        client_id="c", request={"service": "9"}, provider="alpha", provider_service_id="1"
    )
    await change(store, unsent, "failed", state=GatewayState.FAILED, error="no funds")
    [totals] = await await_sums(store, clock)
    assert (totals.counts.finished, totals.counts.failed) == (1, 0)


async def await_sums(store: Store, clock: Clock) -> list[ServiceTotals]:
    async with store.transaction() as tx:
        return await window_sums(tx, clock.now.date() - timedelta(days=400))


async def test_an_order_without_remains_or_quantity_counts_what_is_known(
    store: Store, clock: Clock
) -> None:
    # Completed without remains: all delivered. Partial without remains: delivery unknown.
    # No quantity (a package): counted as finished, not in units nor time per 1,000.
    await finish(store, clock, OrderState.COMPLETED, start=None, end=100)
    await finish(store, clock, OrderState.PARTIAL, start=None, end=100)
    await finish(store, clock, OrderState.COMPLETED, start=None, end=100, quantity=None)
    [totals] = await await_sums(store, clock)
    counts = totals.counts
    assert (counts.finished, counts.units_orders, counts.units_ordered) == (3, 1, 1000)
    assert counts.units_delivered == 1000
    # A status that completes an order at once is its start too.
    assert (counts.starts, counts.start_ms) == (3, 300_000)
    assert (counts.completes, counts.complete_ms_per_k) == (1, 100_000)


async def test_the_window_excludes_older_buckets(store: Store, clock: Clock) -> None:
    today = clock.now
    clock.now = today - timedelta(days=30)
    await finish(store, clock, OrderState.CANCELED, start=None, end=60)
    clock.now = today - timedelta(days=29)
    await finish(store, clock, OrderState.COMPLETED, start=None, end=60)
    clock.now = today
    await finish(store, clock, OrderState.COMPLETED, start=None, end=60)
    thirty = (await book(store, clock).providers())["alpha"]
    assert thirty.completion_rate == Figure(Decimal(1), 2)
    assert thirty.cancel_rate == Figure(Decimal(0), 2)
    week = (await book(store, clock, days=7).providers())["alpha"]
    assert week.orders == 1
    wide = (await book(store, clock, days=31).providers())["alpha"]
    assert wide.cancel_rate == Figure(Decimal(1) / 3, 3)


async def test_figures_below_the_minimum_sample_are_none_with_their_sample(
    store: Store, clock: Clock
) -> None:
    await known_outcomes(store, clock)
    alpha = (await book(store, clock, min_sample=5).providers())["alpha"]
    assert alpha.completion_rate == Figure(Decimal(4) / 6, 6)
    assert alpha.start_seconds == Figure(Decimal(7470) / 5, 5)
    assert alpha.complete_seconds_per_1000 == Figure(None, 4)
    assert alpha.refill_success_rate == Figure(None, 2)
    strict = (await book(store, clock, min_sample=20).providers())["alpha"]
    assert strict.orders == 6
    assert strict.completion_rate == Figure(None, 6)
    assert strict.failure_rate == Figure(None, 7)


async def test_backfill_rebuilds_exactly_the_incremental_buckets_and_is_idempotent(
    store: Store, clock: Clock
) -> None:
    today = clock.now
    clock.now = today - timedelta(days=3)
    await known_outcomes(store, clock)
    clock.now = today
    await known_outcomes(store, clock)
    incremental = await await_sums(store, clock)
    assert await backfill(store) == 4  # two services, two days
    assert await await_sums(store, clock) == incremental
    assert await backfill(store) == 4
    assert await await_sums(store, clock) == incremental
    # From a day on: the older buckets stay as they are.
    assert await backfill(store, since=today - timedelta(days=1)) == 2
    assert await await_sums(store, clock) == incremental


async def test_a_polled_batch_records_each_finished_order_once(store: Store, clock: Clock) -> None:
    rows = [await placed(store) for _ in range(3)]
    clock.advance(90)
    changes = [
        PolledChange(rows[0], "status", {"state": "COMPLETED", "remains": 0}),
        PolledChange(rows[1], "status", {"state": "PARTIAL", "remains": 250}),
        PolledChange(rows[2], "status", {"state": "IN_PROGRESS"}),
    ]
    async with store.transaction() as tx, unless_recorded(tx) as done:
        applied = await store.apply_polled(changes, tx=tx)
        befores = {c.before.id: c.before for c in changes}
        if not await done():
            await record_finished_many(tx, [(befores[r.id], r) for r in applied])
    [totals] = await await_sums(store, clock)
    counts = totals.counts
    assert (counts.finished, counts.completed, counts.partial) == (2, 1, 1)
    assert (counts.units_ordered, counts.units_delivered) == (2000, 1750)
    assert (counts.starts, counts.start_ms) == (2, 180_000)
    assert await backfill(store) == 1
    assert await await_sums(store, clock) == [totals]
