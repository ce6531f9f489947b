"""Provider quality from orders with known outcomes: the buckets each finished order adds to in
its final transaction, the figures over a window, the minimum sample, and the rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
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


PROBE = "quality-probe"
"""The provider of the orders that find out what the store records (always rolled back)."""


async def _adds_a_bucket(store: Store, write: Callable[[AsyncConnection], Awaitable[Any]]) -> bool:
    """Whether `write` alone adds to a bucket; its transaction is rolled back."""
    async with store.engine.connect() as conn:
        tx = await conn.begin()
        try:
            await write(conn)
            query = select(func.count()).where(provider_quality.c.provider == PROBE)
            return bool((await conn.execute(query)).scalar())
        finally:
            await tx.rollback()


async def _probe_order(store: Store, tx: AsyncConnection) -> OrderRow:
    row = await store.create_order(client_id="c", request={"service": "1"}, provider=PROBE, tx=tx)
    row = await store.mark_sent(row.id, row.version, tx=tx)
    return await store.update_order(row.id, event_kind="placed", state="PENDING", tx=tx)


class Ledger:
    """Orders and refills changed as the gateway changes them, each change with its quality
    update in its own transaction.

    Until ``update_order``, ``apply_polled`` and ``update_refill`` make that call themselves
    (the integration notes), the ledger makes it exactly where they will; once they do, it
    leaves it to them (`open` finds out), so nothing is counted twice.
    """

    def __init__(self, store: Store, clock: Clock, *, orders: bool, polls: bool, refills: bool):
        self.store = store
        self.clock = clock
        self._orders, self._polls, self._refills = orders, polls, refills

    @classmethod
    async def open(cls, store: Store, clock: Clock) -> Ledger:
        async def finished(tx: AsyncConnection) -> None:
            row = await _probe_order(store, tx)
            await store.update_order(row.id, event_kind="status", state="COMPLETED", tx=tx)

        async def polled(tx: AsyncConnection) -> None:
            row = await _probe_order(store, tx)
            await store.apply_polled([PolledChange(row, "status", {"state": "COMPLETED"})], tx=tx)

        async def refilled(tx: AsyncConnection) -> None:
            row = await _probe_order(store, tx)
            claim = await store.create_refill(row.id, PROBE, None, tx=tx)
            await store.update_refill(
                claim.id, state="PENDING", status_raw=None, provider_refill_id="r", tx=tx
            )

        return cls(
            store,
            clock,
            orders=await _adds_a_bucket(store, finished),
            polls=await _adds_a_bucket(store, polled),
            refills=await _adds_a_bucket(store, refilled),
        )

    async def change_in(
        self, tx: AsyncConnection, row: OrderRow, kind: str = "status", **changes: Any
    ) -> OrderRow:
        """An order's change in `tx`, with the line ``update_order`` gains."""
        after = await self.store.update_order(row.id, event_kind=kind, tx=tx, **changes)
        if not self._orders:
            await record_finished(tx, row, after)
        return after

    async def change(self, row: OrderRow, kind: str = "status", **changes: Any) -> OrderRow:
        async with self.store.transaction() as tx:
            return await self.change_in(tx, row, kind, **changes)

    async def poll(self, changes: list[PolledChange]) -> list[OrderRow]:
        """A status poll's batch, with the line ``apply_polled`` gains."""
        async with self.store.transaction() as tx:
            applied = await self.store.apply_polled(changes, tx=tx)
            if not self._polls:
                befores = {c.before.id: c.before for c in changes}
                await record_finished_many(tx, [(befores[r.id], r) for r in applied])
        return applied

    async def placed(
        self,
        provider: str = "alpha",
        service: str = "1",
        quantity: int | None = 1000,
        **fields: Any,
    ) -> OrderRow:
        """An order sent to `provider` now; without a quantity, a package unless `fields`
        name another type."""
        request: dict[str, Any] = {"service": "9", "link": "https://instagram.com/x", **fields}
        if quantity is not None:
            request["quantity"] = quantity
        else:
            request.setdefault("service_type", "Package")
        row = await self.store.create_order(
            client_id="c", request=request, provider=provider, provider_service_id=service
        )
        row = await self.store.mark_sent(row.id, row.version)
        return await self.change(row, "placed", state=OrderState.PENDING, provider_order_id="p")

    async def finish(
        self,
        state: str,
        *,
        start: float | None,
        end: float,
        remains: int | None = None,
        **order: Any,
    ) -> OrderRow:
        """An order sent now, showing progress `start` seconds later (never, for None), and
        reaching `state` `end` seconds after it was sent; the clock ends where it began."""
        clock = self.clock
        began = clock.now
        row = await self.placed(**order)
        if start is not None:
            clock.advance(start)
            row = await self.change(row, state=OrderState.IN_PROGRESS)
        clock.now = began + timedelta(seconds=end)
        row = await self.change(row, state=state, remains=remains)
        clock.now = began
        return row

    async def refill(self, order: OrderRow, *states: str) -> RefillRow:
        """A refill the provider accepts, then moves through `states`; each change with the
        lines ``update_refill`` gains."""
        claimed = await self.store.create_refill(order.id, order.provider or "", None)
        after = claimed
        steps = [(RefillState.PENDING.value, f"r{claimed.id}"), *((s, None) for s in states)]
        for state, pid in steps:
            async with self.store.transaction() as tx:
                before = await locked_refill(tx, claimed.id)
                ids = {} if pid is None else {"provider_refill_id": pid}
                after = await self.store.update_refill(
                    claimed.id, state=state, status_raw=None, tx=tx, **ids
                )
                if not self._refills:
                    await record_refill(tx, before, after)
        return after


@pytest.fixture
async def ledger(store: Store, clock: Clock) -> Ledger:
    return await Ledger.open(store, clock)


async def known_outcomes(ledger: Ledger) -> None:
    """Alpha's service 1: two quick completions, a partial, a cancel, a refusal, a slow start;
    service 2: one completion. Two refills: one completes, one is rejected."""
    done = await ledger.finish(OrderState.COMPLETED, start=60, end=3600)
    await ledger.finish(OrderState.COMPLETED, start=60, end=3600)
    await ledger.finish(OrderState.PARTIAL, start=120, end=4000, remains=400)
    await ledger.finish(OrderState.CANCELED, start=None, end=300, remains=500, quantity=500)
    failed = await ledger.placed()
    await ledger.change(failed, "failed", state=GatewayState.FAILED, error="Incorrect link")
    await ledger.finish(OrderState.COMPLETED, start=7200, end=10800, quantity=2000)
    await ledger.finish(OrderState.COMPLETED, start=30, end=600, service="2", quantity=100)
    await ledger.refill(done, RefillState.IN_PROGRESS.value, RefillState.COMPLETED.value)
    await ledger.refill(done, RefillState.REJECTED.value)


async def sums(store: Store, clock: Clock) -> list[ServiceTotals]:
    """Every bucket's sums, per provider service, as the window reads them."""
    async with store.transaction() as tx:
        return await window_sums(tx, clock.now.date() - timedelta(days=400))


def book(store: Store, clock: Clock, **options: Any) -> QualityBook:
    return QualityBook(store, MemoryCache(), clock=clock, **{"min_sample": 1, **options})


async def test_orders_with_known_outcomes_give_exactly_the_expected_figures(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    await known_outcomes(ledger)
    report = await book(store, clock).report()
    service = report.service("alpha", "1")
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
    assert other.complete_seconds_per_1000 == Figure(Decimal(6000), 1)
    alpha = report.provider("alpha")
    assert alpha.service is None
    assert alpha.orders == 6
    assert alpha.completion_rate == Figure(Decimal(4) / 6, 6)
    assert alpha.delivered_fraction == Figure(Decimal(4700) / 5600, 6)
    assert alpha.start_seconds == Figure(Decimal(7470) / 5, 5)
    assert alpha.complete_seconds_per_1000 == Figure(Decimal(18600) / 4, 4)
    # Without history: every figure None, on a sample of none.
    beta = report.provider("beta")
    assert (beta.orders, beta.completion_rate, beta.start_seconds) == (
        0,
        Figure(None, 0),
        Figure(None, 0),
    )
    assert report.service("alpha", "3").delivered_fraction == Figure(None, 0)


async def test_only_the_change_that_makes_an_order_final_counts(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    row = await ledger.finish(OrderState.COMPLETED, start=10, end=20)
    # Later changes of a final order (a refill's history entry) add nothing.
    await ledger.change(row, "refill", event_data={"refill": 1})
    # An order refused before it was ever sent is no provider's doing.
    unsent = await store.create_order(
        client_id="c", request={"service": "9"}, provider="alpha", provider_service_id="1"
    )
    await ledger.change(unsent, "failed", state=GatewayState.FAILED, error="no funds")
    [totals] = await sums(store, clock)
    assert (totals.counts.finished, totals.counts.failed) == (1, 0)


async def test_an_order_without_remains_or_quantity_counts_what_is_known(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    # Completed without remains: all delivered. Partial without remains: delivery unknown.
    # No quantity (a package): counted as finished, not in units nor time per 1,000.
    await ledger.finish(OrderState.COMPLETED, start=None, end=100)
    await ledger.finish(OrderState.PARTIAL, start=None, end=100)
    await ledger.finish(OrderState.COMPLETED, start=None, end=100, quantity=None)
    [totals] = await sums(store, clock)
    counts = totals.counts
    assert (counts.finished, counts.units_orders, counts.units_ordered) == (3, 1, 1000)
    assert counts.units_delivered == 1000
    # A status that completes an order at once is its start too.
    assert (counts.starts, counts.start_ms) == (3, 300_000)
    assert (counts.completes, counts.complete_ms_per_k) == (1, 100_000)


async def test_the_window_excludes_older_buckets(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    today = clock.now
    clock.now = today - timedelta(days=30)
    await ledger.finish(OrderState.CANCELED, start=None, end=60)
    clock.now = today - timedelta(days=29)
    await ledger.finish(OrderState.COMPLETED, start=None, end=60)
    clock.now = today
    await ledger.finish(OrderState.COMPLETED, start=None, end=60)
    thirty = (await book(store, clock).providers())["alpha"]
    assert thirty.completion_rate == Figure(Decimal(1), 2)
    assert thirty.cancel_rate == Figure(Decimal(0), 2)
    week = (await book(store, clock, days=7).providers())["alpha"]
    assert week.orders == 1
    wide = (await book(store, clock, days=31).providers())["alpha"]
    assert wide.cancel_rate == Figure(Decimal(1) / 3, 3)


async def test_figures_below_the_minimum_sample_are_none_with_their_sample(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    await known_outcomes(ledger)
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
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    today = clock.now
    clock.now = today - timedelta(days=3)
    await known_outcomes(ledger)
    clock.now = today
    await known_outcomes(ledger)
    incremental = await sums(store, clock)
    assert await backfill(store) == 4  # two services, two days
    assert await sums(store, clock) == incremental
    assert await backfill(store) == 4
    assert await sums(store, clock) == incremental
    # From a day on: the older buckets stay as they are.
    assert await backfill(store, since=today - timedelta(days=1)) == 2
    assert await sums(store, clock) == incremental


async def test_a_polled_batch_records_each_finished_order_once(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    rows = [await ledger.placed() for _ in range(3)]
    clock.advance(90)
    changes = [
        PolledChange(rows[0], "status", {"state": "COMPLETED", "remains": 0}),
        PolledChange(rows[1], "status", {"state": "PARTIAL", "remains": 250}),
        PolledChange(rows[2], "status", {"state": "IN_PROGRESS"}),
    ]
    await ledger.poll(changes)
    [totals] = await sums(store, clock)
    counts = totals.counts
    assert (counts.finished, counts.completed, counts.partial) == (2, 1, 1)
    assert (counts.units_ordered, counts.units_delivered) == (2000, 1750)
    assert (counts.starts, counts.start_ms) == (2, 180_000)
    assert await backfill(store) == 1
    assert await sums(store, clock) == [totals]


async def test_units_count_every_run_of_a_drip_feed_and_every_listed_item(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    await ledger.finish(
        OrderState.COMPLETED, start=None, end=500, quantity=100, runs=5, interval=10
    )
    comments = "Nice!\nGreat\nWow"
    await ledger.finish(
        OrderState.PARTIAL,
        start=None,
        end=60,
        remains=1,
        quantity=None,
        service_type="Custom Comments",
        comments=comments,
    )
    [totals] = await sums(store, clock)
    counts = totals.counts
    assert (counts.units_orders, counts.units_ordered, counts.units_delivered) == (2, 503, 502)
    assert (counts.completes, counts.complete_ms_per_k) == (1, 1_000_000)
