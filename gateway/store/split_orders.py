"""Client orders made of child orders (split parts, drip runs): their rows and their schedule.

A client order carries a `plan` (``gateway.orders.split``, ``gateway.orders.drip``); each child
names it in ``parent_id``. Both are written with the rows' creation, in the caller's transaction,
so a child is in the ledger, under its client order, before any provider is called.

A drip-fed client order's next run is due at ``next_run_at``. A worker *claims* due runs by
moving ``next_run_at`` past a lease in one statement (as the status sync claims orders), so two
workers never launch the same run, and a worker that stops mid-run leaves it due again once the
lease runs out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.rows import OrderRow
from gateway.store.states import FINAL_STATES
from gateway.store.tables import orders

SPLIT_COLUMNS = frozenset({"parent_id", "plan", "next_run_at"})


class SplitQueries(Queries):
    """Client orders, their children, and the drip schedule."""

    async def set_split_columns(
        self, order_id: int, *, tx: AsyncConnection, **values: Any
    ) -> OrderRow:
        """Set `parent_id`, `plan` or `next_run_at` of an order created in the same transaction
        `tx` (part of its creation: no new version, no history entry of its own)."""
        unknown = set(values) - SPLIT_COLUMNS
        if unknown:
            raise TypeError(f"not a split column: {', '.join(sorted(unknown))}")
        result = await tx.execute(
            orders.update().where(orders.c.id == order_id).values(**values).returning(*orders.c)
        )
        return OrderRow.from_row(result.mappings().one())

    async def children_of(
        self, parent_ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> dict[int, list[OrderRow]]:
        """The children of each client order in `parent_ids`, oldest first (absent: none)."""
        found: dict[int, list[OrderRow]] = {}
        async with self._read(tx) as conn:
            for batch in chunks(list(dict.fromkeys(parent_ids))):
                query = select(orders).where(orders.c.parent_id.in_(batch)).order_by(orders.c.id)
                for row in (await conn.execute(query)).mappings():
                    child = OrderRow.from_row(row)
                    assert child.parent_id is not None
                    found.setdefault(child.parent_id, []).append(child)
        return found

    async def open_parents(
        self, after_id: int = 0, limit: int = 200, *, tx: AsyncConnection | None = None
    ) -> list[OrderRow]:
        """Client orders made of children that are not final yet, by id, above `after_id`."""
        query = (
            select(orders)
            .where(orders.c.plan.is_not(None), orders.c.id > after_id)
            .where(orders.c.state.not_in(sorted(FINAL_STATES)))
            .order_by(orders.c.id)
            .limit(limit)
        )
        async with self._read(tx) as conn:
            return [OrderRow.from_row(r) for r in (await conn.execute(query)).mappings()]

    async def claim_due_runs(
        self, *, now: datetime, lease: timedelta, limit: int = 50
    ) -> list[OrderRow]:
        """Take up to `limit` open client orders whose next run is due, the most overdue first;
        each one's ``next_run_at`` moves to ``now + lease`` in the same statement.

        The claim changes no version: the run is launched against the row as claimed, and an
        order changed meanwhile (a cancel stopping its runs) is not launched.
        """
        due = (
            select(orders.c.id)
            .where(orders.c.next_run_at <= now)
            .where(orders.c.state.not_in(sorted(FINAL_STATES)))
            .order_by(orders.c.next_run_at, orders.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            orders.update()
            .where(orders.c.id.in_(due))
            .values(next_run_at=now + lease)
            .returning(*orders.c)
        )
        async with self._write(None) as conn:
            rows = [OrderRow.from_row(r) for r in (await conn.execute(claim)).mappings()]
        return sorted(rows, key=lambda r: (r.next_run_at, r.id))

    async def reschedule_run(self, order_id: int, at: datetime) -> None:
        """Move a claimed run to `at` (bookkeeping: no version, no history entry), unless the
        client order's runs were stopped meanwhile (``next_run_at`` cleared)."""
        async with self._write(None) as conn:
            await conn.execute(
                orders.update()
                .where(orders.c.id == order_id, orders.c.next_run_at.is_not(None))
                .values(next_run_at=at)
            )
