"""The workers' part, done on demand: tests drive the status sync instead of waiting for it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.core import Gateway
from gateway.store import FINAL_STATES
from gateway.store.states import ALL_STATES
from gateway.store.tables import orders
from gateway.workers.sync import StatusSync


async def sync_statuses(gw: Gateway) -> None:
    """Poll every open order now, as the status sync does over time (client reads answer from
    the ledger, which only the sync brings up to date).

    A served app runs the sync in process too: a poll of its that began before the test's last
    change (a panel's clock moved on) may land after it, rescheduling the order past this
    sync's reach. So its polls in flight are waited out before and after this one; whatever it
    polls meanwhile begins after the change, and this sync's own answers are as fresh.
    """
    rows = await gw.store.list_orders(None, ALL_STATES - FINAL_STATES, None, 100_000)
    await _claims_released(gw)
    later = datetime.now(UTC) + timedelta(days=1)
    await gw.store.hasten_polls([r.id for r in rows], stale_before=later)
    await StatusSync(gw.store, gw.providers).run()
    await _claims_released(gw)


async def _claims_released(gw: Gateway, rounds: int = 1_000) -> None:
    """Wait until no other sync holds a claim on an open order (it writes its answers and lets
    go in one statement)."""
    for _ in range(rounds):
        async with gw.store.transaction() as tx:
            held = await tx.execute(
                select(orders.c.id)
                .where(orders.c.state.not_in(sorted(FINAL_STATES)))
                .where(orders.c.claimed_by.is_not(None))
                .limit(1)
            )
            if held.first() is None:
                return
        await asyncio.sleep(0.01)
    raise AssertionError("another status sync still holds a claim on an open order")
