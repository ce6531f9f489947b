"""Refills: one row per refill asked of a provider, with its gateway id and latest status.

A row is written *before* the provider is asked (a claim: ``PENDING`` without a provider refill
id), so that concurrent requests for one order, in any process, find it and share it instead
of asking the panel again. The answer fills in the provider's refill id; a refusal removes
the claim (no refill came of it). An answer that was lost (the panel may have made the refill)
leaves it ``UNCONFIRMED`` with the reason: the order is not asked again until an operator who
checked the panel settles it (`resolve_refill`: made, with the panel's refill id, or not made).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.quality import locked_refill, record_refill
from gateway.store.rows import RefillRow
from gateway.store.tables import orders, refills
from providers.models import RefillState

OPEN_REFILL_STATES = (
    RefillState.PENDING.value,
    RefillState.IN_PROGRESS.value,
    RefillState.UNKNOWN.value,
)
"""Not final: an order with such a refill is not refilled again, and the refill is polled
(an unrecognised status too, in case the panel's next answer is one we know)."""

REFILL_UNCONFIRMED = "UNCONFIRMED"
"""The gateway's own refill state: asked of the panel, whose answer was lost. Not a panel
status (`RefillState` holds those), never polled (no provider refill id to poll)."""
HELD_REFILL_STATES = (*OPEN_REFILL_STATES, REFILL_UNCONFIRMED)
"""An order with a refill in one of these is not refilled again: that refill is returned."""

ABANDONED = "the request for this refill was interrupted before the panel answered; outcome unknown"
"""The ``error`` of a claim whose requester died before the panel answered: it may have asked
(the claim becomes ``UNCONFIRMED``)."""

_UNSET: Any = object()


class RefillQueries(Queries):
    """Recording, claiming and reading refills."""

    async def create_refill(
        self,
        order_id: int,
        provider: str,
        provider_refill_id: str | None,
        *,
        state: str = RefillState.PENDING,
        tx: AsyncConnection | None = None,
    ) -> RefillRow:
        now = self._clock()
        values = {
            "order_id": order_id,
            "provider": provider,
            "provider_refill_id": provider_refill_id,
            "state": str(state),
            "created_at": now,
            "updated_at": now,
        }
        async with self._write(tx) as conn:
            result = await conn.execute(refills.insert().values(values).returning(*refills.c))
            row = RefillRow.from_row(result.mappings().one())
            await record_refill(conn, None, row)
            return row

    async def claim_refills(
        self,
        wanted: Mapping[int, str],
        *,
        abandoned_before: datetime,
        tx: AsyncConnection | None = None,
    ) -> dict[int, tuple[RefillRow, bool]]:
        """For each order id of `wanted` (order id -> provider): its open or unconfirmed refill
        (`HELD_REFILL_STATES`), or a new claim.

        Answers ``order id -> (refill, created)``; ``created`` is true for exactly one caller
        per order, which must ask the provider and record the answer. The orders are locked
        while deciding (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite), so two
        processes never both create a claim. A claim older than `abandoned_before` without a
        provider id belongs to a requester that died, maybe after asking the panel: it becomes
        ``UNCONFIRMED`` (returned, never replaced, until an operator settles it).
        """
        ids = sorted(wanted)
        found: dict[int, tuple[RefillRow, bool]] = {}
        now = self._clock()
        async with self._write(tx) as conn:
            for batch in chunks(ids):
                await conn.execute(
                    select(orders.c.id).where(orders.c.id.in_(batch)).with_for_update()
                )
                await conn.execute(
                    refills.update()
                    .where(refills.c.order_id.in_(batch))
                    .where(refills.c.state.in_(OPEN_REFILL_STATES))
                    .where(refills.c.provider_refill_id.is_(None))
                    .where(refills.c.created_at < abandoned_before)
                    .values(state=REFILL_UNCONFIRMED, error=ABANDONED, updated_at=now)
                )
                result = await conn.execute(
                    select(refills)
                    .where(refills.c.order_id.in_(batch))
                    .where(refills.c.state.in_(HELD_REFILL_STATES))
                    .order_by(refills.c.id)
                )
                for open_row in result.mappings():
                    found[open_row["order_id"]] = (RefillRow.from_row(open_row), False)
            for order_id in ids:
                if order_id not in found:
                    claim = await self.create_refill(order_id, wanted[order_id], None, tx=conn)
                    found[order_id] = (claim, True)
        return found

    async def update_refill(
        self,
        refill_id: int,
        *,
        state: str,
        status_raw: str | None,
        error: str | None = _UNSET,
        provider_refill_id: str | None = _UNSET,
        tx: AsyncConnection | None = None,
    ) -> RefillRow:
        """Set a refill's state and raw status (and, when given, its error and provider id)."""
        values: dict[str, Any] = {
            "state": str(state),
            "status_raw": status_raw,
            "updated_at": self._clock(),
        }
        if error is not _UNSET:
            values["error"] = error
        if provider_refill_id is not _UNSET:
            values["provider_refill_id"] = provider_refill_id
        async with self._write(tx) as conn:
            before = await locked_refill(conn, refill_id)
            return await _changed(conn, refill_id, before, values)

    async def settle_refill(
        self,
        refill_id: int,
        *,
        state: str,
        error: str | None,
        provider_refill_id: str | None,
        next_poll_at: datetime | None,
        tx: AsyncConnection | None = None,
    ) -> RefillRow | None:
        """Settle an ``UNCONFIRMED`` refill: its new state, error, provider id and next poll.
        None when it is not (or no longer) unconfirmed: nothing is changed then."""
        values = {
            "state": str(state), "status_raw": None, "error": error,
            "provider_refill_id": provider_refill_id, "next_poll_at": next_poll_at,
            "updated_at": self._clock(),
        }  # fmt: skip
        async with self._write(tx) as conn:
            before = await locked_refill(conn, refill_id)
            if before is None or before.state != REFILL_UNCONFIRMED:
                return None
            return await _changed(conn, refill_id, before, values)

    async def unconfirmed_refills(
        self, limit: int = 100, *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """``UNCONFIRMED`` refills, oldest first."""
        query = (
            select(refills)
            .where(refills.c.state == REFILL_UNCONFIRMED)
            .order_by(refills.c.id)
            .limit(limit)
        )
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [RefillRow.from_row(r) for r in result.mappings()]

    async def find_refill_by_provider_id(
        self, provider: str, provider_refill_id: str, *, tx: AsyncConnection | None = None
    ) -> RefillRow | None:
        """The refill `provider` knows as `provider_refill_id`, if the ledger has one."""
        query = (
            select(refills)
            .where(refills.c.provider == provider)
            .where(refills.c.provider_refill_id == provider_refill_id)
        )
        async with self._read(tx) as conn:
            found = (await conn.execute(query)).mappings().first()
            return RefillRow.from_row(found) if found is not None else None

    async def delete_refill(self, refill_id: int, *, tx: AsyncConnection | None = None) -> None:
        """Remove a claim the provider refused: no refill came of it."""
        async with self._write(tx) as conn:
            await conn.execute(refills.delete().where(refills.c.id == refill_id))

    async def get_refills(
        self, ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """The refills with `ids` that exist, in the order asked."""
        wanted = list(dict.fromkeys(ids))
        found: dict[int, RefillRow] = {}
        async with self._read(tx) as conn:
            for batch in chunks(wanted):
                result = await conn.execute(select(refills).where(refills.c.id.in_(batch)))
                found.update({r["id"]: RefillRow.from_row(r) for r in result.mappings()})
        return [found[i] for i in wanted if i in found]

    async def refills_for_orders(
        self, order_ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """Every refill of the given orders, oldest first."""
        rows: list[RefillRow] = []
        async with self._read(tx) as conn:
            for batch in chunks(list(dict.fromkeys(order_ids))):
                query = select(refills).where(refills.c.order_id.in_(batch))
                result = await conn.execute(query.order_by(refills.c.id))
                rows.extend(RefillRow.from_row(r) for r in result.mappings())
        return rows

    async def due_refills(
        self, now: datetime, limit: int = 100, *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """Open refills known to their provider whose next poll has come, the longest due
        first (never polled counts from creation): each poll moves a refill back in the line,
        so old refills cannot keep new ones waiting."""
        due_at = func.coalesce(refills.c.next_poll_at, refills.c.created_at)
        query: Any = (
            select(refills)
            .where(refills.c.state.in_(OPEN_REFILL_STATES))
            .where(refills.c.provider_refill_id.is_not(None))
            .where(due_at <= now)
            .order_by(due_at, refills.c.id)
            .limit(limit)
        )
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [RefillRow.from_row(r) for r in result.mappings()]

    async def claim_due_refills(
        self, now: datetime, limit: int = 100, *, lease: timedelta
    ) -> list[RefillRow]:
        """`due_refills`, taken: each one's next poll moves to ``now + lease`` in the same
        statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), so
        refill syncs of several processes at once poll each refill once; the poll's
        `reschedule_refills` sets the real next poll, and a process that dies before it lets
        the lease run out."""
        due_at = func.coalesce(refills.c.next_poll_at, refills.c.created_at)
        due = (
            select(refills.c.id)
            .where(refills.c.state.in_(OPEN_REFILL_STATES))
            .where(refills.c.provider_refill_id.is_not(None))
            .where(due_at <= now)
            .order_by(due_at, refills.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            refills.update()
            .where(refills.c.id.in_(due))
            .values(next_poll_at=now + lease)
            .returning(*refills.c)
        )
        async with self._write(None) as conn:
            result = await conn.execute(claim)
            return sorted((RefillRow.from_row(r) for r in result.mappings()), key=lambda r: r.id)

    async def reschedule_refills(
        self, when: Mapping[int, datetime | None], *, tx: AsyncConnection | None = None
    ) -> None:
        """Set each refill's next poll (``None``: never)."""
        if not when:
            return
        statement = (
            refills.update()
            .where(refills.c.id == bindparam("refill_id"))
            .values(next_poll_at=bindparam("at"))
        )
        items: Sequence[dict[str, Any]] = [{"refill_id": i, "at": at} for i, at in when.items()]
        async with self._write(tx) as conn:
            for batch in chunks(items):
                await conn.execute(statement, batch)


async def _changed(
    conn: AsyncConnection, refill_id: int, before: RefillRow | None, values: Mapping[str, Any]
) -> RefillRow:
    """The refill (locked by the caller, as `before`) with `values`, its change recorded for
    the quality book."""
    result = await conn.execute(
        refills.update().where(refills.c.id == refill_id).values(values).returning(*refills.c)
    )
    after = RefillRow.from_row(result.mappings().one())
    await record_refill(conn, before, after)
    return after
