"""The workers' part, done on demand: tests drive the status sync instead of waiting for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.core import Gateway
from gateway.store import FINAL_STATES
from gateway.store.states import ALL_STATES
from gateway.workers.sync import StatusSync


async def sync_statuses(gw: Gateway) -> None:
    """Poll every open order now, as the status sync does over time (client reads answer from
    the ledger, which only the sync brings up to date)."""
    rows = await gw.store.list_orders(None, ALL_STATES - FINAL_STATES, None, 100_000)
    later = datetime.now(UTC) + timedelta(days=1)
    await gw.store.hasten_polls([r.id for r in rows], stale_before=later)
    await StatusSync(gw.store, gw.providers).run()
