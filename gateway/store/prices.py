"""Price history: an append-only feed of rate changes, read in id order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.catalog import ListedRates
from gateway.store.rows import PriceChange, PriceChangeKind
from gateway.store.tables import catalog_syncs, price_changes


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

    async def record_listing(
        self,
        provider: str,
        at: datetime,
        rates: ListedRates,
        changes: Callable[[ListedRates], list[PriceChange]],
        before: Callable[[], Awaitable[ListedRates | None]],
    ) -> list[PriceChange] | None:
        """Record a sync of `provider` fetched at `at` that listed `rates`, with the price
        changes `changes` finds against what the last recorded sync listed (`before()` when
        the ledger has no list; no changes when neither has one), in one transaction holding
        the provider's row: processes that fetched the same new list at once record each change
        once. A sync fetched no later than the recorded one records nothing: None."""
        listed = {sid: [rate, currency] for sid, (rate, currency) in rates.items()}
        async with self._write(None) as conn:
            held = (
                await conn.execute(
                    select(catalog_syncs.c.synced_at, catalog_syncs.c.rates)
                    .where(catalog_syncs.c.provider == provider)
                    .with_for_update()
                )
            ).first()
            if held is None:
                inserted = await conn.execute(
                    self._insert(catalog_syncs)
                    .values(provider=provider, synced_at=at, rates=listed)
                    .on_conflict_do_nothing(index_elements=[catalog_syncs.c.provider])
                )
                if not inserted.rowcount:
                    return None  # another process recorded its first sync meanwhile
                previous = None
            else:
                if held.synced_at >= at:
                    return None
                await conn.execute(
                    catalog_syncs.update()
                    .where(catalog_syncs.c.provider == provider)
                    .values(synced_at=at, rates=listed)
                )
                previous = None if held.rates is None else _rates(held.rates)
            if previous is None:
                previous = await before()
            found = [] if previous is None else changes(previous)
            await self.record_price_changes(found, tx=conn)
        return found

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


def _rates(stored: dict[str, Any]) -> ListedRates:
    return {str(sid): (Decimal(rate), str(currency)) for sid, (rate, currency) in stored.items()}
