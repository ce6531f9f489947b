"""The transactional outbox: events written in the same transaction as the change they
describe, published afterwards by a worker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.rows import OutboxRow
from gateway.store.tables import outbox

# Built once per dialect: the values go as parameters (see `add_outbox`).
ADD_OUTBOX = {
    "postgresql": postgresql.insert(outbox).on_conflict_do_nothing(
        index_elements=[outbox.c.event_id]
    ),
    "sqlite": sqlite.insert(outbox).on_conflict_do_nothing(index_elements=[outbox.c.event_id]),
}


class OutboxQueries(Queries):
    """Writing and draining the outbox."""

    async def add_outbox(
        self, tx: AsyncConnection, event_id: str, type: str, payload: Mapping[str, Any]
    ) -> bool:
        """Queue an event inside the caller's transaction; a repeated `event_id` is ignored.

            async with store.transaction() as tx:
                row = await store.update_order(order_id, event_kind="status", tx=tx, ...)
                await store.add_outbox(tx, f"order.{row.id}.{row.version}", "order.updated",
                                       {"id": row.id, "state": row.state})

        Returns whether the event was new.
        """
        values = {
            "event_id": event_id, "type": type, "payload": dict(payload),
            "created_at": self._clock(),
        }  # fmt: skip
        result = await tx.execute(ADD_OUTBOX[tx.dialect.name], values)
        return bool(result.rowcount)

    async def pending_outbox(
        self, limit: int = 100, *, tx: AsyncConnection | None = None
    ) -> list[OutboxRow]:
        """Unpublished events, oldest first."""
        query = (
            select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(limit)
        )
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [OutboxRow.from_row(found) for found in result.mappings()]

    async def mark_published(
        self, ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> None:
        """Mark events as published so ``pending_outbox`` no longer returns them."""
        now = self._clock()
        async with self._write(tx) as conn:
            for batch in chunks(set(ids)):
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id.in_(batch), outbox.c.published_at.is_(None))
                    .values(published_at=now)
                )

    async def outbox_after(
        self, after_id: int, limit: int = 200, *, tx: AsyncConnection | None = None
    ) -> list[OutboxRow]:
        """Events with an id above `after_id`, published or not, oldest first (a read: no claim)."""
        query = select(outbox).where(outbox.c.id > after_id).order_by(outbox.c.id).limit(limit)
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [OutboxRow.from_row(found) for found in result.mappings()]

    async def outbox_settled(self, seconds: float, *, tx: AsyncConnection | None = None) -> int:
        """The highest id up to which every event was published more than `seconds` ago (0 if
        none): a live subscriber of the broadcast has heard all of them."""
        cutoff = self._clock() - timedelta(seconds=seconds)
        unsettled = select(func.min(outbox.c.id)).where(
            or_(outbox.c.published_at.is_(None), outbox.c.published_at >= cutoff)
        )
        async with self._read(tx) as conn:
            first = await conn.scalar(unsettled)
            if first is not None:
                return int(first) - 1
            last = await conn.scalar(select(func.max(outbox.c.id)))
            return int(last or 0)
