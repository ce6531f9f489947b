"""Queries the background workers need: claiming due orders and outbox rows, safely shared.

Two workers must never poll the same order, and two relays must never publish the same event.
Both claims are atomic in the database, so they hold however many processes run:

- an order is *claimed* by moving its ``next_poll_at`` past a lease and recording the
  claimant's process id (``claimed_by``); it is due again when the lease runs out or, sooner,
  when the claimant's heartbeat in ``instances`` has expired (a dead worker's orders come back
  within its heartbeat timeout, not the lease);
- outbox rows are claimed for the length of one transaction: ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL (other relays skip them), the database write lock on SQLite (``BEGIN IMMEDIATE``
  serialises relays). A relay that dies rolls back, and the rows are pending again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, null, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries
from gateway.store.bulk import Bulk
from gateway.store.rows import OrderRow, OutboxRow, order_row
from gateway.store.states import FINAL_STATES
from gateway.store.sync_apply import ROW_COLUMNS, SYNCED, JsonSafe, PolledChange, apply_changes
from gateway.store.tables import instances, orders, outbox

__all__ = ["SYNCED", "PolledChange", "SyncQueries", "dead_instances"]


def _by_id(**values: Any) -> Bulk:
    return Bulk(orders.update().where(orders.c.id == bindparam("order_id")).values(values))


_LATER = _by_id(next_poll_at=bindparam("at"), claimed_by=null())
_LATER_SYNCED = _by_id(
    next_poll_at=bindparam("at"), claimed_by=null(), synced_at=bindparam("synced_at")
)
_SYNCED = _by_id(synced_at=bindparam("synced_at"))


def _outbox_insert(insert: postgresql.Insert | sqlite.Insert) -> Bulk:
    return Bulk(
        insert.values(
            event_id=bindparam("event_id"),
            type=bindparam("type"),
            payload=bindparam("payload", type_=JsonSafe()),
            created_at=bindparam("created_at"),
        ).on_conflict_do_nothing(index_elements=[outbox.c.event_id])
    )


_OUTBOX = {
    "postgresql": _outbox_insert(postgresql.insert(outbox)),
    "sqlite": _outbox_insert(sqlite.insert(outbox)),
}


def dead_instances(now: datetime) -> ColumnElement[bool]:
    """Processes whose last heartbeat has expired by `now`, as an ``IN`` condition's subquery."""
    return select(instances.c.id).where(instances.c.expires_at < now).scalar_subquery()


class SyncQueries(Queries):
    """Claims for the status sync and the outbox relay; process heartbeats; catalog syncs."""

    async def beat(self, instance: str, kind: str, *, expires_at: datetime) -> None:
        """Record that `instance` lives until `expires_at` (its heartbeat timeout from now)."""
        now = self._clock()
        async with self._write(None) as conn:
            updated = await conn.execute(
                instances.update().where(instances.c.id == instance).values(expires_at=expires_at)
            )
            if not updated.rowcount:
                await conn.execute(
                    self._insert(instances)
                    .values(id=instance, kind=kind, started_at=now, expires_at=expires_at)
                    .on_conflict_do_nothing(index_elements=[instances.c.id])
                )

    async def forget_instances(self, *, before: datetime) -> int:
        """Drop heartbeats that expired before `before` (long dead processes)."""
        async with self._write(None) as conn:
            result = await conn.execute(delete(instances).where(instances.c.expires_at < before))
        return int(result.rowcount or 0)

    async def claim_due_orders(
        self,
        *,
        now: datetime,
        lease: timedelta,
        limit: int = 100,
        provider: str | None = None,
        instance: str | None = None,
    ) -> list[OrderRow]:
        """Take up to `limit` open, placed orders whose poll is due, oldest due first.

        Each one's ``next_poll_at`` moves to ``now + lease`` in the same statement, and its
        ``claimed_by`` to `instance`, so no other caller gets it until the claimant reschedules
        it, the lease runs out or the claimant's heartbeat expires.

            rows = await store.claim_due_orders(now=now, lease=timedelta(minutes=2),
                                                provider="alpha")
        """
        due = (
            select(orders.c.id)
            .where(orders.c.state.not_in(sorted(FINAL_STATES)))
            .where(or_(orders.c.next_poll_at <= now, orders.c.claimed_by.in_(dead_instances(now))))
            .where(orders.c.provider_order_id.is_not(None))
            .order_by(orders.c.next_poll_at, orders.c.id)
            .limit(limit)
            # PostgreSQL: concurrent claimants skip each other's rows instead of waiting on
            # them; SQLite drops the clause and relies on its write lock.
            .with_for_update(skip_locked=True)
        )
        if provider is not None:
            due = due.where(orders.c.provider == provider)
        claim = (
            orders.update()
            .where(orders.c.id.in_(due))
            .values(next_poll_at=now + lease, claimed_by=instance)
            .returning(*ROW_COLUMNS)
        )
        async with self._write(None) as conn:
            result = await conn.execute(claim)
            rows = [order_row(found) for found in result]
        return sorted(rows, key=lambda r: r.id)

    async def reschedule_orders(
        self,
        when: Mapping[int, datetime | None],
        *,
        synced: Collection[int] | Mapping[int, datetime] = (),
        synced_at: datetime | None = None,
        tx: AsyncConnection | None = None,
    ) -> None:
        """Set each order's next poll (``None``: never), ending a claim without a new version,
        and mark the `synced` orders (those the panel answered for) as synced at `synced_at`,
        or each at its own time when `synced` maps ids to times.

        Rescheduling is bookkeeping, not a change of the order: no history entry, no event.
        """
        if not when and not synced:
            return
        async with self._write(tx) as conn:
            if not isinstance(synced, Mapping):
                at = synced_at or self._clock()
                synced = dict.fromkeys(synced, at)
            later = [(i, at) for i, at in when.items() if i not in synced]
            both = [(i, at, synced[i]) for i, at in when.items() if i in synced]
            only = [(i, at) for i, at in synced.items() if i not in when]
            await _LATER.run_columns(
                conn, {"order_id": [i for i, _ in later], "at": [at for _, at in later]}
            )
            await _LATER_SYNCED.run_columns(
                conn,
                {
                    "order_id": [i for i, _, _ in both],
                    "at": [at for _, at, _ in both],
                    "synced_at": [at for _, _, at in both],
                },
            )
            await _SYNCED.run_columns(
                conn, {"order_id": [i for i, _ in only], "synced_at": [at for _, at in only]}
            )

    async def apply_polled(
        self, changes: Sequence[PolledChange], *, tx: AsyncConnection
    ) -> list[OrderRow]:
        """Apply a batch of polled changes with their history entries, in a few statements.

        What ``update_order`` does for one order, for a hundred at once: a change applies only
        if the order is still at the version it was claimed at (else it is left out: another
        writer got there first), bumps the version and writes a history entry; an account order
        made final is settled (``settle``). Returns the orders as they now are, in the order
        given.
        """
        return await apply_changes(tx, changes, self._clock())

    async def add_outbox_many(
        self, tx: AsyncConnection, events: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> None:
        """Queue ``(event_id, type, payload)`` events, a few hundred a statement; known ids are
        skipped. Payloads must be JSON-safe, as ``Event.payload()`` makes them."""
        if not events:
            return
        columns: dict[str, list[Any]] = {
            "event_id": [i for i, _, _ in events],
            "type": [t for _, t, _ in events],
            "payload": [p for _, _, p in events],
            "created_at": [self._clock()] * len(events),
        }
        await _OUTBOX[self._engine.dialect.name].run_columns(tx, columns)

    @asynccontextmanager
    async def claim_outbox(
        self, limit: int = 200
    ) -> AsyncIterator[tuple[AsyncConnection, list[OutboxRow]]]:
        """Pending outbox rows, oldest first, held by this caller until the block ends.

        Mark them published with ``mark_published(ids, tx=tx)`` inside the block; leaving it
        with an error rolls back and leaves them pending for the next relay.

            async with store.claim_outbox(200) as (tx, rows):
                ...
                await store.mark_published((r.id for r in rows), tx=tx)
        """
        query = (
            select(outbox)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._write(None) as conn:
            result = await conn.execute(query)
            rows = [OutboxRow.from_row(found) for found in result.mappings()]
            yield conn, rows
