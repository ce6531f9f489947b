"""While Redis is unreachable, an instance reads the outbox itself for its own subscribers.

The broadcast carries events through Redis; while an instance's listener cannot reach Redis,
what the drains publish (in worker processes, or in other gateways) reaches no subscriber of
it. `OutboxTail` fills that gap: every `every` seconds it reads the outbox rows above the last
it has seen (published or not; a plain read, no claim), oldest first, in pages, and hands them
to the instance's bus. `RedisBroadcast` starts it when the listener loses Redis and stops it,
after one last read, once the listener is subscribed again.

Where it starts: the highest id up to which every event was published more than `settled`
seconds ago (`Store.outbox_settled`), so whatever was pending when Redis went, or published
since, is read. Each read also re-reads the last `lookback` ids, for a transaction that took
its id before another one and committed after it. The same event can arrive through Redis,
through the local fallback of this instance's own drain and through the tail: `Recent`
forwards each event id once (the last `Recent.size` ids are remembered).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from sqlalchemy.exc import SQLAlchemyError

from gateway.event_bus import EventBus
from gateway.events import Event, event_from_payload
from gateway.store import Store
from gateway.workers.quiet import Quiet

log = logging.getLogger(__name__)


class Recent:
    """The last `size` event ids forwarded to a bus: each id goes through once."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._order: deque[str] = deque()
        self._ids: set[str] = set()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> bool:
        """Remember `event_id`; False if it was already there."""
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self.size:
            self._ids.discard(self._order.popleft())
        return True

    def forward(self, event: Event, bus: EventBus) -> None:
        """Publish `event` on `bus` unless this id went through already."""
        if self.add(event.id):
            bus.publish(event)


class OutboxTail:
    """Reads new outbox rows into `bus`; see the module doc."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        recent: Recent,
        *,
        every: float = 0.5,
        page: int = 200,
        lookback: int = 100,
        settled: float = 10.0,
    ) -> None:
        self.store = store
        self.bus = bus
        self.recent = recent
        self.every = every
        self.page = page
        self.lookback = lookback
        self.settled = settled
        self.position: int | None = None
        """The highest outbox id read (None before the first read)."""
        self.quiet = Quiet()

    async def read(self) -> int:
        """Forward every row above the position (less the lookback); returns how many went."""
        if self.position is None:
            self.position = await self.store.outbox_settled(self.settled)
        after = max(self.position - self.lookback, 0)
        forwarded = 0
        while True:
            rows = await self.store.outbox_after(after, self.page)
            for row in rows:
                if row.event_id not in self.recent:
                    forwarded += 1
                    self.recent.forward(event_from_payload(row.payload), self.bus)
            if rows:
                after = rows[-1].id
                self.position = max(self.position, after)
            if len(rows) < self.page:
                return forwarded

    async def run(self) -> None:
        """Read every `every` seconds until cancelled; a ledger error is retried quietly."""
        while True:
            try:
                await self.read()
            except (SQLAlchemyError, OSError) as exc:
                self.quiet.failed("outbox tail cannot read the ledger (%s); retrying", exc)
            else:
                self.quiet.recovered("outbox tail reads the ledger again")
            await asyncio.sleep(self.every)


class Tailing:
    """One instance's tail across outages: `start` when Redis goes, `stop` when it is back."""

    def __init__(self, store: Store, bus: EventBus, recent: Recent, every: float = 0.5) -> None:
        self.store = store
        self.bus = bus
        self.recent = recent
        self.every = every
        self._tail: OutboxTail | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Begin tailing (from the settled point now); nothing if already tailing."""
        if self._task is not None:
            return
        self._tail = OutboxTail(self.store, self.bus, self.recent, every=self.every)
        self._task = asyncio.create_task(self._tail.run())
        log.info(
            "Redis unreachable: this instance reads the outbox for its subscribers every %.1fs",
            self.every,
        )

    async def stop(self, *, last_read: bool = True) -> None:
        """Stop tailing, after one last read with `last_read` (for what came meanwhile)."""
        task, tail = self._task, self._tail
        if task is None or tail is None:
            return
        self._task = self._tail = None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if last_read:
            try:
                await tail.read()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("outbox tail: the last read failed (%s)", exc)
            log.info("Redis reachable again: outbox tail stopped")
