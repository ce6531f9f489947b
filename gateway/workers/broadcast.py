"""Getting every event to every instance's subscribers, while the outbox is drained once.

Two concerns, kept apart:

- the *drain* (`OutboxDrain`) claims pending outbox rows (`Store.claim_outbox`: a row lock on
  PostgreSQL, the write lock on SQLite), hands each event to the durable sinks (webhook
  fan-out) inside the claim's transaction, marks the rows published and commits: any number of
  drains, in gateways or workers, publish each event once;
- the *broadcast* then carries the committed events to live subscribers (GraphQL
  subscriptions) on every instance: Redis pub/sub when Redis is configured (`RedisBroadcast`,
  each instance runs `listen` into its own `EventBus`), the bus directly otherwise
  (`LocalBroadcast`, one instance).

Broadcasting after the commit means a live subscriber never sees an event twice; a drain killed
between commit and broadcast loses that broadcast only, which live subscribers tolerate (they
re-read the ledger). Webhooks, which must not lose anything, are fed inside the transaction.

While Redis is unreachable, an instance's own drain hands its events straight to its own bus
(its subscribers keep hearing what this process publishes; other instances hear them again
once Redis is back, for new events), and the listener retries quietly: one warning when Redis
goes, one a minute while it stays away, one line when it is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.events import Event, EventBus, event_from_payload
from gateway.store import Store

log = logging.getLogger(__name__)

Sink = Callable[[Event, AsyncConnection], Awaitable[None]]
"""A durable consumer of events, called inside the drain's transaction (webhook fan-out)."""


class Broadcast(Protocol):
    """Carries committed events to every instance's live subscribers."""

    async def publish(self, events: Sequence[Event]) -> None: ...

    async def aclose(self) -> None: ...


class LocalBroadcast:
    """One instance: events go straight to its bus."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            self.bus.publish(event)

    async def aclose(self) -> None:
        return None


class Quiet:
    """Warnings about one ongoing outage: the first at once, then one per `every` seconds."""

    def __init__(self, every: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last: float | None = None
        self.failures = 0
        """Failures since the outage began (0 while things work)."""

    def failed(self, message: str, *args: object) -> None:
        self.failures += 1
        now = self.clock()
        if self._last is None or now - self._last >= self.every:
            self._last = now
            log.warning(message + " (%d failures so far)", *args, self.failures)

    def recovered(self, message: str, *args: object) -> None:
        if self.failures:
            log.info(message + " after %d failures", *args, self.failures)
        self.failures = 0
        self._last = None


class RedisBroadcast:
    """Many instances: events go to a Redis channel every instance listens to.

    ::

        broadcast = RedisBroadcast(redis_url, f"{namespace}:events", local=bus)
        listener = asyncio.create_task(broadcast.listen(bus))   # on every instance
        await broadcast.publish(events)                         # from whichever drain ran

    `local`, this instance's bus, receives what `publish` could not send to Redis.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        reconnect: float = 1.0,
        local: EventBus | None = None,
        quiet: Quiet | None = None,
    ) -> None:
        self.channel = channel
        # A blackholed Redis, or one that accepts and never answers, must not hold a connection
        # attempt (or startup) for long. The listener's blocking reads wait without a timeout.
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=2.0, socket_timeout=2.0
        )
        self._reconnect = reconnect
        self.local = local
        self.quiet = quiet or Quiet()
        self._publishing = Quiet(self.quiet.every, clock=self.quiet.clock)

    async def publish(self, events: Sequence[Event]) -> None:
        """Send `events` to every instance; without Redis, to this instance's bus only.

        Never raises for Redis: the events are committed already, and a drain that failed here
        would only fail again on the next batch.
        """
        if not events:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(self.channel, json.dumps(event.payload()))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._publishing.failed("events not broadcast, Redis unreachable: %s", exc)
            if self.local is not None:
                for event in events:
                    self.local.publish(event)
            return
        self._publishing.recovered("event broadcast through Redis again")

    async def listen(
        self,
        bus: EventBus,
        ready: asyncio.Event | None = None,
        *,
        tried: asyncio.Event | None = None,
    ) -> None:
        """Forward the channel's events to `bus` until cancelled, resubscribing after errors.

        `ready` is set once subscribed; `tried` once the first attempt subscribed or failed.
        """
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.quiet.recovered("event listener subscribed to Redis again")
                    if ready is not None:
                        ready.set()
                    if tried is not None:
                        tried.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        try:
                            event = event_from_payload(json.loads(message["data"]))
                        except (ValueError, TypeError) as exc:
                            # One bad message must not end every later subscription update.
                            log.warning("ignoring an unreadable event message: %s", exc)
                            continue
                        bus.publish(event)
            except (RedisError, OSError) as exc:
                self.quiet.failed("event listener cannot reach Redis (%s); retrying", exc)
                if tried is not None:
                    tried.set()
                await asyncio.sleep(self._reconnect)

    async def aclose(self) -> None:
        await self._redis.aclose()


class OutboxDrain:
    """Publishes pending outbox events exactly once across every drain; see the module doc."""

    def __init__(
        self,
        store: Store,
        broadcast: Broadcast,
        *,
        sinks: Sequence[Sink] = (),
        batch: int = 200,
    ) -> None:
        self.store = store
        self.broadcast = broadcast
        self.sinks = list(sinks)
        self.batch = batch

    async def run(self, _partition: str | None = None) -> int:
        """Drain until nothing is pending; returns how many events were published."""
        published = 0
        # A plain read first: on SQLite a claim takes the write lock even when nothing waits.
        while await self.store.pending_outbox(1):
            async with self.store.claim_outbox(self.batch) as (tx, rows):
                if not rows:
                    break  # another drain took them
                batch = [event_from_payload(row.payload) for row in rows]
                for event in batch:
                    for sink in self.sinks:
                        await sink(event, tx)
                await self.store.mark_published((row.id for row in rows), tx=tx)
            await self.broadcast.publish(batch)
            published += len(batch)
        return published
