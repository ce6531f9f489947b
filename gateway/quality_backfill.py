"""Rebuilding the quality buckets from the ledger: after an upgrade (orders finished before the
buckets existed), or to check the incremental sums (a test compares the two).

    await backfill(store, since=date(2026, 1, 1))   # every bucket from that day on, again

Idempotent: the days rebuilt are emptied first, in the same transaction. Orders finishing
meanwhile are not lost or counted twice: on PostgreSQL the rebuild locks the buckets, so their
transactions add their change once it commits; on SQLite the write lock orders the two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import case, delete, func, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store import Store
from gateway.store.quality import Key, add_to, bucket_key, day_of, first_progress, upsert
from gateway.store.quality_counts import Counts, order_counts, refill_counts
from gateway.store.quality_tables import provider_quality
from gateway.store.rows import OrderRow, RefillRow
from gateway.store.states import FINAL_STATES
from gateway.store.tables import order_events, orders, refills
from gateway.store.types import UTCDateTime

BATCH = 500
"""Orders read per query."""


async def backfill(store: Store, since: date | datetime | None = None) -> int:
    """Rebuild the buckets from day `since` on (default: every day) from the finished orders
    and the refills providers accepted; returns the number of buckets written."""
    if isinstance(since, datetime):
        since = since.astimezone(UTC).date()
    async with store.transaction() as conn:
        return await rebuild(conn, since or date.min)


async def rebuild(conn: AsyncConnection, since: date) -> int:
    """``backfill`` inside a transaction of the caller's (which should do nothing else)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("LOCK TABLE provider_quality IN EXCLUSIVE MODE"))
    await conn.execute(delete(provider_quality).where(provider_quality.c.day >= since))
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    buckets: dict[Key, Counts] = {}
    await _orders(conn, start, buckets)
    await _refills(conn, start, buckets)
    await upsert(conn, buckets)
    return sum(1 for counts in buckets.values() if not counts.empty)


async def _orders(conn: AsyncConnection, start: datetime, into: dict[Key, Counts]) -> None:
    final = order_events.c.to_state.in_(sorted(FINAL_STATES))
    finished_at = type_coerce(func.min(case((final, order_events.c.at))), UTCDateTime)
    last = 0
    while True:
        # A row's updated_at is never before its final change, so it bounds the scan.
        query = (
            select(orders)
            .where(orders.c.id > last, orders.c.state.in_(sorted(FINAL_STATES)))
            .where(orders.c.provider.is_not(None), orders.c.updated_at >= start)
            .order_by(orders.c.id)
            .limit(BATCH)
        )
        batch = [OrderRow.from_row(r) for r in (await conn.execute(query)).mappings()]
        if not batch:
            return
        last = batch[-1].id
        ids = [row.id for row in batch]
        started = await first_progress(conn, ids)
        ends_query = (
            select(order_events.c.order_id, finished_at)
            .where(order_events.c.order_id.in_(ids))
            .group_by(order_events.c.order_id)
        )
        ends = {i: at for i, at in (await conn.execute(ends_query)).all() if at is not None}
        for row in batch:
            ended = ends.get(row.id, row.updated_at)
            if ended >= start:
                add_to(into, bucket_key(row, ended), order_counts(row, started.get(row.id), ended))


async def _refills(conn: AsyncConnection, start: datetime, into: dict[Key, Counts]) -> None:
    query = (
        select(refills, orders.c.provider_service_id)
        .join(orders, orders.c.id == refills.c.order_id)
        .where(refills.c.provider_refill_id.is_not(None))
        .where((refills.c.created_at >= start) | (refills.c.updated_at >= start))
    )
    for found in (await conn.execute(query)).mappings():
        refill = RefillRow.from_row(found)
        service = found["provider_service_id"] or ""
        requested, ended = refill_counts(None, refill)
        if refill.created_at >= start:
            add_to(into, (refill.provider, service, day_of(refill.created_at)), requested)
        if refill.updated_at >= start:
            add_to(into, (refill.provider, service, day_of(refill.updated_at)), ended)
