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

While Redis is unreachable, an instance's own drain hands its events straight to its own bus,
and an instance given the store reads the outbox itself for its subscribers
(`gateway.workers.outbox_tail`): they keep hearing every event, whichever process wrote or
drained it, about `tail_every` seconds late, each once. The listener retries quietly: one
warning when Redis goes, one a minute while it stays away, one line when it is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.event_bus import EventBus
from gateway.events import Event, event_from_payload
from gateway.store import Store
from gateway.workers.outbox_tail import Recent, Tailing
from gateway.workers.quiet import Quiet
from gateway.workers.subscription import messages, subscribe

__all__ = ["Broadcast", "LocalBroadcast", "OutboxDrain", "Quiet", "RedisBroadcast", "Sink"]

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


class RedisBroadcast:
    """Many instances: events go to a Redis channel every instance listens to.

    ::

        broadcast = RedisBroadcast(redis_url, f"{namespace}:events", local=bus)
        listener = asyncio.create_task(broadcast.listen(bus))   # on every instance
        await broadcast.publish(events)                         # from whichever drain ran

    `local`, this instance's bus, receives what `publish` could not send to Redis; with `store`,
    `listen` reads the outbox every `tail_every` seconds while Redis is unreachable. A Redis
    that stops answering without closing the connection counts as unreachable once a ping
    after `ping_every` quiet seconds gets no answer within `answer_within`. Each event id
    reaches the bus once (the last 10,000 are remembered).
    """

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        reconnect: float = 1.0,
        local: EventBus | None = None,
        quiet: Quiet | None = None,
        store: Store | None = None,
        tail_every: float = 0.5,
        ping_every: float = 5.0,
        answer_within: float = 5.0,
    ) -> None:
        self.channel = channel
        # A blackholed Redis, or one that accepts and never answers, must not hold a connection
        # attempt (or startup) for long. The listener's reads wait for messages without a
        # timeout; it pings a quiet Redis instead (`gateway.workers.subscription`).
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=2.0, socket_timeout=2.0
        )
        self._reconnect = reconnect
        self.ping_every = ping_every
        self.answer_within = answer_within
        self.local = local
        self.quiet = quiet or Quiet()
        self._publishing = Quiet(self.quiet.every, clock=self.quiet.clock)
        self.recent = Recent()
        self.store = store
        self.tail_every = tail_every
        self.tailing: Tailing | None = None
        """The outbox tail while `listen` runs with a store."""

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
                    self.recent.forward(event, self.local)
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
        While Redis is unreachable, the outbox tail (with a store) feeds `bus` instead.
        """
        if self.store is not None:
            self.tailing = Tailing(self.store, bus, self.recent, self.tail_every)
        try:
            await self._listen(bus, ready, tried)
        finally:
            if self.tailing is not None:
                await self.tailing.stop(last_read=False)

    async def _listen(
        self, bus: EventBus, ready: asyncio.Event | None, tried: asyncio.Event | None
    ) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await subscribe(pubsub, self.channel, within=self.answer_within)
                    self.quiet.recovered("event listener subscribed to Redis again")
                    if self.tailing is not None:
                        await self.tailing.stop()
                    if ready is not None:
                        ready.set()
                    if tried is not None:
                        tried.set()
                    published = messages(
                        pubsub, ping_every=self.ping_every, answer_within=self.answer_within
                    )
                    async for message in published:
                        try:
                            event = event_from_payload(json.loads(message["data"]))
                        except (ValueError, TypeError) as exc:
                            # One bad message must not end every later subscription update.
                            log.warning("ignoring an unreadable event message: %s", exc)
                            continue
                        self.recent.forward(event, bus)
            except (RedisError, OSError) as exc:
                self.quiet.failed("event listener cannot reach Redis (%s); retrying", exc)
                if self.tailing is not None:
                    self.tailing.start()
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
