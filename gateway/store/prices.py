"""Price history: an append-only feed of rate changes, read in id order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.rows import PriceChange, PriceChangeKind
from gateway.store.tables import price_changes


class PriceQueries(Queries):
    """Recording and reading price changes."""

    async def record_price_changes(
        self, changes: Iterable[PriceChange], *, tx: AsyncConnection | None = None
    ) -> None:
        """Append `changes` (their ``id`` is ignored; the store assigns one)."""
        rows = []
        for change in changes:
            row = asdict(change)
            row.pop("id")
            row["kind"] = PriceChangeKind(change.kind).value
            rows.append(row)
        if not rows:
            return
        async with self._write(tx) as conn:
            for batch in chunks(rows):
                await conn.execute(price_changes.insert(), batch)

    async def price_changes(
        self,
        since: datetime | None = None,
        after_id: int | None = None,
        limit: int = 100,
        *,
        tx: AsyncConnection | None = None,
    ) -> list[PriceChange]:
        """Changes oldest first, from `since` on and after the change with id `after_id`.

        Follow the feed by passing the last id seen as `after_id`.
        """
        query: Select[Any] = select(price_changes).order_by(price_changes.c.id).limit(limit)
        if since is not None:
            query = query.where(price_changes.c.at >= since)
        if after_id is not None:
            query = query.where(price_changes.c.id > after_id)
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [
                PriceChange.from_row({**found, "kind": PriceChangeKind(found["kind"])})
                for found in result.mappings()
            ]
