"""The in-process event bus: each instance's published events fanned out to its subscribers
(GraphQL subscriptions).

`gateway.workers.broadcast` carries events into it (through Redis, or directly on one instance);
what an event holds is `gateway.events`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from gateway.events import Event


class EventBus:
    """In-process fan-out of published events to any number of subscribers.

    A subscriber that falls behind by more than `backlog` events loses the oldest ones rather
    than slowing everyone down (subscriptions re-read state from the ledger anyway).

    ::

        async with bus.subscribe() as events:
            async for event in events:
                ...
    """

    def __init__(self, backlog: int = 1000) -> None:
        self._backlog = backlog
        self._queues: set[asyncio.Queue[Event]] = set()

    def publish(self, event: Event) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._backlog)
        self._queues.add(queue)

        async def events() -> AsyncIterator[Event]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self._queues.discard(queue)
