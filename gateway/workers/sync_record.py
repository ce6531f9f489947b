"""One write of the status sync: a group of calls' answers recorded in one transaction.

Each change with its history entry and outbox event (an order flagged unknown upstream, a
charge above its quote, a currency mismatch have their own), each account order made final
settled, every order rescheduled and its claim ended (`gateway.workers.sync`). Whether a group's
statuses start a currency mismatch is decided first, one process at a time (`decide`)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from gateway import events
from gateway.currencies import CurrencyWatch, Mismatch
from gateway.events import Event, order_data
from gateway.orders.polled import OVERCHARGED
from gateway.store import OrderRow, Store
from gateway.store.sync import PolledChange
from gateway.workers.sync_events import announced, order_payload

MISSING_UPSTREAM = "Incorrect order ID: the provider no longer knows this order"
"""The ``error`` of an order flagged because its panel answered "Incorrect order ID"."""


@dataclass(slots=True)
class SyncReport:
    """What one run did: orders polled, changed, flagged missing, failed to poll; panel calls."""

    polled: int = 0
    changed: int = 0
    missing: int = 0
    failed: int = 0
    calls: int = 0

    def add(self, other: SyncReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(slots=True)
class Polled:
    """One call's answers, ready to write: the changes, each order's next poll (those left
    unchanged), the orders the panel answered for, when, and in which currency."""

    name: str
    rows: list[OrderRow]
    report: SyncReport
    followups: list[asyncio.Task[None]]
    """Where a catalog re-sync after an overcharge is kept, for `run` to await."""
    now: datetime
    reported: str | None
    mismatch: Mismatch | None
    changes: list[PolledChange] = field(default_factory=list)
    later: dict[int, datetime | None] = field(default_factory=dict)
    answered: list[int] = field(default_factory=list)


def flagged_event(order: OrderRow) -> Event:
    """``order.updated`` for an order just flagged as unknown upstream."""
    return Event(
        id=f"evt_order_{order.id}_v{order.version}_missing",
        type=events.ORDER_UPDATED,
        created_at=order.updated_at,
        data={"order": order_data(order), "flag": "missing_upstream"},
    )


async def decide(watch: CurrencyWatch, group: list[Polled], deciding: AsyncExitStack) -> None:
    """Whether `group`'s mismatched statuses start an episode, each provider's decided by one
    process at a time: its lock is held in `deciding` until the episode is recorded with the
    batch and remembered, as processes polling it at once would each announce it. A process
    that finds another deciding leaves the episode to it (neither announced nor remembered)."""
    mine: dict[str, bool] = {}
    for polled in group:
        name, reported = polled.name, polled.reported
        if reported is None or not watch.mismatched(name, reported):
            continue
        if name in mine:
            # The group's first batch of this provider carries its decision.
            polled.reported = reported if mine[name] else None
            continue
        mine[name] = await deciding.enter_async_context(watch.deciding(name))
        if mine[name]:
            polled.mismatch = await watch.new_status_mismatch(name, reported)
        else:
            polled.reported = None  # another process is deciding: left to it for now


async def record(
    store: Store, group: list[Polled], minimum: timedelta
) -> tuple[set[int], list[OrderRow]]:
    """Record `group`'s answers; the ids of the orders changed, and those newly overcharged.

    A change another writer overtook (a cancel, a client's refresh) is left out, and its order
    polled again after `minimum`.
    """
    changes = [c for polled in group for c in polled.changes]
    async with store.transaction() as tx:
        applied = await store.apply_polled(changes, tx=tx)
        done = {row.id for row in applied}
        marked = {c.before.id for c in changes if c.before.id in done and c.synced_at}
        later: dict[int, datetime | None] = {}
        synced: dict[int, datetime] = {}
        for polled in group:
            later.update(polled.later)
            # A change from the panel's answer marked its order synced already.
            synced.update((i, polled.now) for i in polled.answered if i not in marked)
            for change in polled.changes:
                if change.before.id not in done:
                    # Its writer's change has its own event; ours would compare with a stale row.
                    later[change.before.id] = polled.now + minimum
        befores = {c.before.id: c.before for c in changes}
        rows = [(befores[row.id], row) for row in applied]
        news = [
            announced(flagged_event(row)) if row.error == MISSING_UPSTREAM
            and before.error != MISSING_UPSTREAM
            else order_payload(before, row)
            for before, row in rows
        ]  # fmt: skip
        overcharged = [
            row for before, row in rows
            if OVERCHARGED in (row.flags or ()) and OVERCHARGED not in (before.flags or ())
        ]  # fmt: skip
        news += [announced(events.order_overcharged(r)) for r in overcharged]
        for polled in group:
            if polled.mismatch is not None:
                m = polled.mismatch
                event = events.provider_currency_mismatch(
                    polled.name, m.configured, m.reported, m.source, polled.now
                )
                news.append(announced(event))
        await store.add_outbox_many(tx, [a for a in news if a is not None])
        await store.reschedule_orders(later, synced=synced, tx=tx)
    return done, overcharged
