"""The outbox relay: publishes queued events, oldest first, then marks them published."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from gateway.events import Event, event_from_payload
from gateway.store import Store

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[None]]


class OutboxRelay:
    """Moves events from the outbox to `publish` (subscriptions, webhook fan-out).

    ``await relay.run_once()`` relays what is pending now; ``await relay.run()`` keeps polling
    every `interval` seconds until cancelled.
    """

    def __init__(
        self, store: Store, publish: Publish, *, interval: float = 0.5, batch: int = 200
    ) -> None:
        self.store = store
        self.publish = publish
        self.interval = interval
        self.batch = batch

    async def run_once(self) -> int:
        relayed = 0
        while True:
            rows = await self.store.pending_outbox(self.batch)
            if not rows:
                return relayed
            for row in rows:
                await self.publish(event_from_payload(row.payload))
            await self.store.mark_published(row.id for row in rows)
            relayed += len(rows)

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                # A relay that stops silently loses every later event; log and keep going.
                log.exception("outbox relay failed; retrying")
            await asyncio.sleep(self.interval)
