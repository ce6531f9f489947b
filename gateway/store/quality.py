"""Quality buckets: what each finished order and ended refill adds to its provider service's day,
written in the transaction that finishes it, and the sums of a window of days.

Every write is an upsert that adds (``ON CONFLICT ... DO UPDATE SET n = n + excluded.n`` on
SQLite and PostgreSQL), so writers in any number of processes add up without reading first.

    async with store.transaction() as tx:
        after = await store.update_order(order.id, event_kind="status", tx=tx, state="COMPLETED")
        await record_finished(tx, order, after)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from operator import attrgetter
from typing import Any, Self

from sqlalchemy import func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import chunks
from gateway.store.quality_tables import COUNTS, provider_quality
from gateway.store.rows import OrderRow, RefillRow
from gateway.store.states import GatewayState, is_final
from gateway.store.tables import order_events, orders, refills
from gateway.store.types import UTCDateTime
from providers.models import OrderState, RefillState

PROGRESS_STATES = (
    OrderState.IN_PROGRESS.value,
    OrderState.COMPLETED.value,
    OrderState.PARTIAL.value,
)
"""States that show an order has started: its first entry into one of them is its start."""

_CANCELED = frozenset({OrderState.CANCELED.value, OrderState.REFUNDED.value})
_MS = timedelta(milliseconds=1)
_MICROS = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Counts:
    """Sums of the bucket columns (see ``quality_tables.COUNTS``); adding two adds each."""

    finished: int = 0
    completed: int = 0
    partial: int = 0
    canceled: int = 0
    failed: int = 0
    units_orders: int = 0
    units_ordered: int = 0
    units_delivered: int = 0
    start_ms: int = 0
    starts: int = 0
    complete_ms_per_k: int = 0
    completes: int = 0
    refills_requested: int = 0
    refills_finished: int = 0
    refills_completed: int = 0
    charges: int = 0
    charged_micros: int = 0
    cost_micros: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, n) + getattr(other, n) for n in COUNTS))

    def values(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}

    @property
    def empty(self) -> bool:
        return not any(self.values().values())


assert tuple(f.name for f in fields(Counts)) == COUNTS  # the table and the sums agree
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


def _quantity(order: OrderRow) -> int | None:
    """The units the order asks for in all: its quantity (or its listed comments or usernames)
    times its runs when drip-fed; None for services that count no units (packages)."""
    try:
        request = order.order_request()
    except ValueError:  # a request stored before a field's rules changed: not counted in units
        return None
    if request.quantity is None and not request.comments and not request.usernames:
        return None
    return request.units * (request.runs or 1)


def _delivered(order: OrderRow, quantity: int) -> int | None:
    """Units delivered: quantity - remains; without remains, all of a completed order and none
    of a canceled one; unknown otherwise (a partial that names no remains)."""
    if order.remains is not None:
        return min(max(quantity - order.remains, 0), quantity)
    if order.state == OrderState.COMPLETED:
        return quantity
    if order.state in _CANCELED:
        return 0
    return None


def order_counts(order: OrderRow, started_at: datetime | None, finished_at: datetime) -> Counts:
    """What one order in a final state adds to its bucket.

    `started_at`: its first status showing progress, if any; `finished_at`: when it reached the
    final state. An order never sent (or never routed) adds nothing: no provider was asked.
    """
    if order.provider is None or order.sent_at is None or not is_final(order.state):
        return Counts()
    if order.state == GatewayState.FAILED:
        return Counts(failed=1)
    state = order.state
    values: dict[str, int] = {
        "finished": 1,
        "completed": int(state == OrderState.COMPLETED),
        "partial": int(state == OrderState.PARTIAL),
        "canceled": int(state in _CANCELED),
    }
    quantity = _quantity(order)
    delivered = None if quantity is None else _delivered(order, quantity)
    if quantity is not None and delivered is not None:
        values.update(units_orders=1, units_ordered=quantity, units_delivered=delivered)
    if started_at is not None:
        values.update(start_ms=max((started_at - order.sent_at) // _MS, 0), starts=1)
    if state == OrderState.COMPLETED and quantity is not None:
        took = max((finished_at - order.sent_at) // _MS, 0)
        values.update(complete_ms_per_k=took * 1000 // quantity, completes=1)
    values.update(_charge_counts(order))
    return Counts(**values)


def _micros(amount: Decimal) -> int:
    return int((amount * _MICROS).to_integral_value(ROUND_HALF_EVEN))


def _charge_counts(order: OrderRow) -> dict[str, int]:
    """A finished order's final charge against its quoted provider cost, when both are known
    in one currency (a charge in another currency, or none reported, is left out)."""
    charge, cost = order.charge, order.provider_cost
    if charge is None or cost is None or cost <= 0:
        return {}
    charged_in, quoted_in = order.charge_currency, order.provider_currency
    if charged_in and quoted_in and charged_in.upper() != quoted_in.upper():
        return {}
    charged = _micros(max(charge, Decimal(0)))
    return {"charges": 1, "charged_micros": charged, "cost_micros": _micros(cost)}


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
        total = sums.setdefault(bucket_key(row, row.updated_at), [0] * len(COUNTS))
        for i, n in enumerate(counts):
            total[i] += n
    await upsert(conn, {key: Counts(*total) for key, total in sums.items()})


def refill_counts(before: RefillRow | None, after: RefillRow) -> tuple[Counts, Counts]:
    """What a refill's change adds: on the day it was asked for (accepted by its provider
    now), and on the day it ended (now, if it did)."""
    accepted = after.provider_refill_id is not None
    requested = accepted and (before is None or before.provider_refill_id is None)
    state = RefillState.parse(after.state)
    was_final = before is not None and RefillState.parse(before.state).final
    ended = accepted and state.final and not was_final
    completed = int(ended and state == RefillState.COMPLETED)
    return (
        Counts(refills_requested=int(requested)),
        Counts(refills_finished=int(ended), refills_completed=completed),
    )


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
