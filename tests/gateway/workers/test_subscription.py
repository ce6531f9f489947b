"""A Redis that stops answering without closing its connections (a hang, packets dropped with
no reset) under an instance's event listener: it is noticed by a ping, the outbox tail feeds
the instance's subscribers meanwhile, and the listener subscribes again once Redis answers. A
subscription counts as made only once Redis has confirmed it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from gateway.event_bus import EventBus
from gateway.store import Store
from gateway.workers import RedisBroadcast
from tests.gateway.cache_fixtures import RedisServer
from tests.gateway.workers.helpers import eventually
from tests.gateway.workers.test_broadcast import collect, event, store
from tests.gateway.workers.test_outbox_tail import STOPPED, TAILING, logged, redis_server

# Fixtures: the server is stopped with SIGKILL, so a paused one goes too.
__all__ = ["redis_server", "store"]

QUIET = 0.2
"""Seconds of quiet before the listener pings Redis in these tests (and as long for a pong)."""


async def test_a_redis_gone_silent_is_noticed_and_the_outbox_feeds_subscribers_meanwhile(
    redis_server: RedisServer, store: Store, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "gateway.workers")
    channel = f"{namespace}:events"
    listener = RedisBroadcast(
        redis_server.url, channel, store=store, tail_every=0.05, reconnect=0.1,
        ping_every=QUIET, answer_within=QUIET,
    )  # fmt: skip
    publisher = RedisBroadcast(redis_server.url, channel)
    bus = EventBus()
    received: list[str] = []
    subscribed, listening = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(collect(bus, received, subscribed))]
    await subscribed.wait()
    tasks.append(asyncio.create_task(listener.listen(bus, listening)))
    try:
        await listening.wait()
        await publisher.publish([event(0)])
        await eventually(lambda: received == ["evt_0"])

        redis_server.pause()
        # Quiet, a ping, no answer: the listener gives the connection up and tails the outbox.
        await eventually(lambda: logged(caplog, TAILING) == 1, within=30)
        async with store.transaction() as tx:
            await store.add_outbox(tx, "evt_1", "order.updated", event(1).payload())
        await eventually(lambda: received == ["evt_0", "evt_1"], within=30)
        assert listener.quiet.failures >= 1

        redis_server.resume()
        await eventually(lambda: logged(caplog, STOPPED) == 1, within=30)
        await publisher.publish([event(2)])
        await eventually(lambda: received == ["evt_0", "evt_1", "evt_2"], within=30)
    finally:
        redis_server.resume()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await listener.aclose()
        await publisher.aclose()


async def test_the_listener_is_ready_only_once_redis_confirms_the_subscription(
    redis_server: RedisServer, namespace: str
) -> None:
    listener = RedisBroadcast(
        redis_server.url, f"{namespace}:events", reconnect=0.1, answer_within=QUIET
    )
    ready, tried = asyncio.Event(), asyncio.Event()
    # A connection made while Redis answered, kept in the pool: the subscription reuses it,
    # so nothing but the subscription itself waits for an answer.
    await listener.publish([event(0)])
    redis_server.pause()
    task = asyncio.create_task(listener.listen(EventBus(), ready, tried=tried))
    try:
        await asyncio.wait_for(tried.wait(), timeout=30)
        assert not ready.is_set(), "a subscription nobody confirmed is not one"
        assert listener.quiet.failures >= 1
        redis_server.resume()
        await asyncio.wait_for(ready.wait(), timeout=30)
    finally:
        redis_server.resume()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await listener.aclose()
