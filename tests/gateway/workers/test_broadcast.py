"""The outbox drained once by many drains; every instance's subscribers get every event once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.event_bus import EventBus
from gateway.events import Event
from gateway.store import Store
from gateway.workers import LocalBroadcast, OutboxDrain, RedisBroadcast
from tests.gateway.workers.helpers import eventually


def event(n: int) -> Event:
    return Event(id=f"evt_{n}", type="order.updated", created_at=datetime.now(UTC), data={"n": n})


async def queue_events(store: Store, count: int) -> None:
    async with store.transaction() as tx:
        for n in range(count):
            item = event(n)
            await store.add_outbox(tx, item.id, item.type, item.payload())


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with await Store.connect(database_url) as opened:
        yield opened


async def collect(bus: EventBus, into: list[str], ready: asyncio.Event) -> None:
    async with bus.subscribe() as events:
        ready.set()
        async for item in events:
            into.append(item.id)


async def test_two_instances_get_every_event_once_from_three_drains(
    store: Store, redis_url: str, namespace: str
) -> None:
    await queue_events(store, 300)
    channel = f"{namespace}:events"
    instances = [RedisBroadcast(redis_url, channel) for _ in range(2)]
    buses = [EventBus(backlog=10_000) for _ in instances]
    received: list[list[str]] = [[], []]
    tasks = []
    for broadcast, bus, into in zip(instances, buses, received, strict=True):
        subscribed, listening = asyncio.Event(), asyncio.Event()
        tasks.append(asyncio.create_task(collect(bus, into, subscribed)))
        tasks.append(asyncio.create_task(broadcast.listen(bus, listening)))
        await subscribed.wait()
        await listening.wait()
    sunk: list[str] = []

    async def sink(item: Event, tx: AsyncConnection) -> None:
        sunk.append(item.id)

    drains = [OutboxDrain(store, instances[i % 2], sinks=[sink], batch=50) for i in range(3)]
    try:
        counts = await asyncio.gather(*(d.run() for d in drains))
        assert sum(counts) == 300
        # A marker published after every drain ended reaches each instance after all they
        # sent (one channel keeps its order): once it is in, nothing of theirs is still coming.
        await instances[0].publish([event(300)])
        await eventually(lambda: all("evt_300" in r for r in received))
        for into in received:
            assert into[-1] == "evt_300"
            into.pop()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for broadcast in instances:
            await broadcast.aclose()
    for into in received:
        assert Counter(into) == Counter(f"evt_{n}" for n in range(300))
    assert sorted(sunk) == sorted(f"evt_{n}" for n in range(300))
    assert await store.pending_outbox(1) == []


async def test_a_failing_sink_leaves_the_events_pending(store: Store) -> None:
    await queue_events(store, 3)
    bus = EventBus()

    async def broken(item: Event, tx: AsyncConnection) -> None:
        raise RuntimeError("webhook store down")

    with pytest.raises(RuntimeError):
        await OutboxDrain(store, LocalBroadcast(bus), sinks=[broken]).run()
    assert len(await store.pending_outbox(10)) == 3
    received: list[str] = []
    ready = asyncio.Event()
    task = asyncio.create_task(collect(bus, received, ready))
    await ready.wait()
    assert await OutboxDrain(store, LocalBroadcast(bus)).run() == 3
    # A marker published after the drain reaches the subscriber after all it sent: once it
    # is in, nothing of the drain's is still coming.
    await LocalBroadcast(bus).publish([event(3)])
    await eventually(lambda: "evt_3" in received)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert received == ["evt_0", "evt_1", "evt_2", "evt_3"]


async def test_an_unreadable_message_does_not_stop_the_listener(
    redis_url: str, namespace: str
) -> None:
    import redis.asyncio as aioredis

    channel = f"{namespace}:events"
    broadcast = RedisBroadcast(redis_url, channel)
    bus = EventBus()
    ready = asyncio.Event()
    heard: list[str] = []

    async def collect() -> None:
        async with bus.subscribe() as events:
            async for event in events:
                heard.append(event.id)

    tasks = [asyncio.create_task(collect()), asyncio.create_task(broadcast.listen(bus, ready))]
    await ready.wait()
    try:
        async with aioredis.Redis.from_url(redis_url) as client:
            await client.publish(channel, b"{not json")
            await client.publish(channel, b'{"id": "missing fields"}')
        event = Event(id="evt_after", type="order.updated", created_at=datetime.now(UTC), data={})
        await broadcast.publish([event])
        await eventually(lambda: heard == ["evt_after"])
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await broadcast.aclose()
