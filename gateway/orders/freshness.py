"""Keeping what clients read fresh without reading upstream for them.

A client's read answers from the ledger, at once. An open order in it last synced longer ago
than `fresh_for` is moved to the front of the status sync (`Store.hasten_polls`), whose next
claim of that provider (any worker, any process) polls it with others, 100 ids a call. The
moves of concurrent reads are gathered into one write, and an order moved once is not moved
again for `fresh_for` (the sync either synced it, or failed and will retry on its own)::

    freshness = Freshness(store, timedelta(seconds=60))
    freshness.ask(rows)          # returns at once; the write runs beside the caller
    await freshness.settled()    # (tests, shutdown) until every asked order is moved
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from gateway.store import OrderRow, Store
from gateway.store.base import Clock, utcnow
from gateway.store.states import is_final

log = logging.getLogger(__name__)


def last_synced(row: OrderRow) -> datetime:
    """When the ledger last heard of the order's status: a poll, else its placement."""
    return row.synced_at or row.sent_at or row.created_at


class Freshness:
    """Asks the status sync to poll stale orders first; many reads share one write."""

    def __init__(self, store: Store, fresh_for: timedelta, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.fresh_for = fresh_for
        self._clock = clock
        self._pending: set[int] = set()
        self._asked: dict[int, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def stale(self, rows: Iterable[OrderRow]) -> list[OrderRow]:
        """The open, placed orders among `rows` last synced before the freshness bound."""
        cutoff = self._clock() - self.fresh_for
        return [
            r
            for r in rows
            if not is_final(r.state) and r.provider_order_id and last_synced(r) < cutoff
        ]

    def ask(self, rows: Iterable[OrderRow]) -> None:
        """Queue the stale ones among `rows` for a priority poll; never waits."""
        recent = self._clock() - self.fresh_for
        for row in self.stale(rows):
            if self._asked.get(row.id, recent) <= recent:
                self._pending.add(row.id)
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._flush(), name="orders:freshness")

    async def settled(self) -> None:
        """Return once every order asked so far has been moved (or its move failed)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _flush(self) -> None:
        # One write at a time: reads arriving meanwhile wait for the next one together.
        while self._pending:
            ids, self._pending = self._pending, set()
            now = self._clock()
            try:
                await self.store.hasten_polls(ids, stale_before=now - self.fresh_for)
            except Exception:
                # Reads never fail for it: the order is polled on its normal schedule.
                log.exception("could not move %d stale orders to the front of the sync", len(ids))
                continue
            self._asked = {i: at for i, at in self._asked.items() if at > now - self.fresh_for}
            self._asked.update(dict.fromkeys(ids, now))
