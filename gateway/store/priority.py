"""Priority polls: stale orders a client is reading, moved to the front of the status sync.

The status sync claims due orders by ``next_poll_at``, earliest first. Moving an order's
``next_poll_at`` to `PRIORITY` puts it before every scheduled poll, so the next claim of its
provider (by any worker, in any process) takes it in a full batch of 100; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.states import FINAL_STATES
from gateway.store.sync import dead_instances
from gateway.store.tables import orders

PRIORITY = datetime(2000, 1, 1, tzinfo=UTC)
"""The ``next_poll_at`` of an order to poll before any other: earlier than any real time."""


class PriorityQueries(Queries):
    """Moving stale open orders to the front of the status sync."""

    async def hasten_polls(
        self, ids: Iterable[int], *, stale_before: datetime, tx: AsyncConnection | None = None
    ) -> int:
        """Make the given orders due first, if they are still open, placed, and last synced
        before `stale_before` (a sync that landed meanwhile makes it needless); returns how
        many were moved. An order a live process has claimed is left alone: its poll is on
        the way, and moving it would let another process's sync poll it a second time."""
        last_sync = func.coalesce(orders.c.synced_at, orders.c.sent_at, orders.c.created_at)
        claimant = orders.c.claimed_by
        free = or_(claimant.is_(None), claimant.in_(dead_instances(self._clock())))
        moved = 0
        async with self._write(tx) as conn:
            for batch in chunks(list(dict.fromkeys(ids))):
                result = await conn.execute(
                    orders.update()
                    .where(orders.c.id.in_(batch))
                    .where(orders.c.state.not_in(sorted(FINAL_STATES)))
                    .where(orders.c.provider_order_id.is_not(None))
                    .where(last_sync < stale_before)
                    .where(free)
                    .where(or_(orders.c.next_poll_at.is_(None), orders.c.next_poll_at > PRIORITY))
                    .values(next_poll_at=PRIORITY)
                )
                moved += result.rowcount
        return moved
