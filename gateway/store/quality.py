"""Quality buckets: what each finished order and ended refill adds to its provider service's day
(`quality_counts`), written in the transaction that finishes it, and the sums of a window of days.

Every write is an upsert that adds (``ON CONFLICT ... DO UPDATE SET n = n + excluded.n`` on
SQLite and PostgreSQL), so writers in any number of processes add up without reading first.

    async with store.transaction() as tx:
        after = await store.update_order(order.id, event_kind="status", tx=tx, state="COMPLETED")
        await record_finished(tx, order, after)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import add, attrgetter
from typing import Any, Self

from sqlalchemy import func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import chunks
from gateway.store.quality_counts import Counts, order_counts, refill_counts
from gateway.store.quality_tables import COUNTS, provider_quality
from gateway.store.rows import OrderRow, RefillRow
from gateway.store.states import is_final
from gateway.store.tables import order_events, orders, refills
from gateway.store.types import UTCDateTime
from providers.models import OrderState

PROGRESS_STATES = (
    OrderState.IN_PROGRESS.value,
    OrderState.COMPLETED.value,
    OrderState.PARTIAL.value,
)
"""States that show an order has started: its first entry into one of them is its start."""

_counts_of = attrgetter(*COUNTS)


@dataclass(frozen=True, slots=True)
class ServiceTotals:
    """A provider service's sums over a window of days."""

    provider: str
    service: str
    counts: Counts

    @classmethod
    def from_sums(cls, row: Sequence[Any]) -> Self:
        sums = Counts(*(int(s or 0) for s in row[2:]))
        return cls(str(row[0]), str(row[1]), sums)


Key = tuple[str, str, date]
"""A bucket: provider, provider service id ("" when unknown), UTC day."""


def day_of(at: datetime) -> date:
    return at.astimezone(UTC).date()


def bucket_key(order: OrderRow, at: datetime) -> Key:
    return (order.provider or "", order.provider_service_id or "", day_of(at))


async def upsert(conn: AsyncConnection, buckets: Mapping[Key, Counts]) -> None:
    """Add `buckets` to their rows, creating the missing ones, in key order (so concurrent
    writers lock shared rows in the same order)."""
    rows = [
        {"provider": p, "provider_service_id": s, "day": d, **counts.values()}
        for (p, s, d), counts in sorted(buckets.items())
        if not counts.empty
    ]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(provider_quality)
    statement = insert.on_conflict_do_update(
        index_elements=[
            provider_quality.c.provider,
            provider_quality.c.provider_service_id,
            provider_quality.c.day,
        ],
        set_={name: provider_quality.c[name] + insert.excluded[name] for name in COUNTS},
    )
    for row in rows:  # one at a time: a multi-row upsert may not touch a row twice
        await conn.execute(statement, row)


def add_to(buckets: dict[Key, Counts], key: Key, counts: Counts) -> None:
    buckets[key] = buckets.get(key, Counts()) + counts


async def first_progress(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, datetime]:
    """Each order's first status showing progress, by order id."""
    first = type_coerce(func.min(order_events.c.at), UTCDateTime)
    found: dict[int, datetime] = {}
    for batch in chunks(order_ids):
        query = (
            select(order_events.c.order_id, first)
            .where(order_events.c.order_id.in_(batch))
            .where(order_events.c.to_state.in_(PROGRESS_STATES))
            .group_by(order_events.c.order_id)
        )
        found.update({order_id: at for order_id, at in (await conn.execute(query)).all()})
    return found


async def record_finished(conn: AsyncConnection, before: OrderRow, after: OrderRow) -> None:
    """Add `after` to its bucket if this change is the one that made it final.

    Call it inside the transaction of the change, after its history entry is written (the
    order's start is read from its history), with the row as it was and as it now is.
    """
    await record_transitions(conn, [(before.state, after)])


async def record_finished_many(
    conn: AsyncConnection, changes: Iterable[tuple[OrderRow, OrderRow]]
) -> None:
    """``record_finished`` for a batch of changes (a status poll's): two queries, not 2n."""
    await record_transitions(conn, [(before.state, after) for before, after in changes])


async def record_transitions(
    conn: AsyncConnection, changes: Iterable[tuple[str, OrderRow]]
) -> None:
    """``record_finished_many`` for callers that know only the state each order left."""
    ended = [
        after
        for from_state, after in changes
        if is_final(after.state) and not is_final(from_state) and after.provider is not None
    ]
    if not ended:
        return
    started = await first_progress(conn, [row.id for row in ended])
    sums: dict[Key, list[int]] = {}
    for row in ended:
        # The change's own status counts even if its history entry is not written yet.
        start = started.get(row.id)
        if row.state in PROGRESS_STATES and (start is None or row.updated_at < start):
            start = row.updated_at
        counts = _counts_of(order_counts(row, start, row.updated_at))
        if not any(counts):
            continue  # adds nothing (and a bucket of zeros is never written)
        key = bucket_key(row, row.updated_at)
        total = sums.get(key)
        sums[key] = list(counts) if total is None else list(map(add, total, counts))
    await upsert(conn, {key: Counts(*total) for key, total in sums.items()})


async def locked_refill(conn: AsyncConnection, refill_id: int) -> RefillRow | None:
    """A refill as it is before a change, held until the transaction ends (PostgreSQL), so the
    change ``record_refill`` compares with is the one made."""
    query = select(refills).where(refills.c.id == refill_id).with_for_update()
    found = (await conn.execute(query)).mappings().one_or_none()
    return None if found is None else RefillRow.from_row(found)


async def record_refill(conn: AsyncConnection, before: RefillRow | None, after: RefillRow) -> None:
    """Add a refill's change to its order's bucket: accepted by the provider (`before` had no
    provider refill id, or there was no `before`), ended, completed."""
    requested, ended = refill_counts(before, after)
    if requested.empty and ended.empty:
        return
    query = select(orders.c.provider_service_id).where(orders.c.id == after.order_id)
    service = (await conn.execute(query)).scalar_one_or_none() or ""
    buckets: dict[Key, Counts] = {}
    add_to(buckets, (after.provider, service, day_of(after.created_at)), requested)
    add_to(buckets, (after.provider, service, day_of(after.updated_at)), ended)
    await upsert(conn, buckets)


async def window_sums(conn: AsyncConnection, first_day: date) -> list[ServiceTotals]:
    """Each provider service's sums over the buckets from `first_day` on: one row each."""
    columns = [func.sum(provider_quality.c[name]) for name in COUNTS]
    query = (
        select(provider_quality.c.provider, provider_quality.c.provider_service_id, *columns)
        .where(provider_quality.c.day >= first_day)
        .group_by(provider_quality.c.provider, provider_quality.c.provider_service_id)
        .order_by(provider_quality.c.provider, provider_quality.c.provider_service_id)
    )
    return [ServiceTotals.from_sums(tuple(row)) for row in (await conn.execute(query)).all()]
