"""Redis going away and coming back under a gateway's subscribers: while its listener cannot
reach Redis, the instance reads the outbox itself, so its subscribers hear every event (placed
through it, or written and drained elsewhere), each once; once Redis is back, events come
through Redis again and the tail has stopped."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from gateway.config import Settings, WorkersSection
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.events import ORDER_CREATED, Event
from gateway.store import Store
from gateway.workers import OutboxDrain, RedisBroadcast, WorkerOptions
from gateway.workers.inprocess import background
from gateway.workers.outbox_tail import Recent
from providers.models import ServiceType
from tests.gateway.cache_fixtures import RedisServer
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings
from tests.gateway.workers.helpers import Now, eventually
from tests.gateway.workers.test_broadcast import event, queue_events

TAILING = "reads the outbox for its subscribers"
STOPPED = "outbox tail stopped"
QUIET = WorkerOptions(
    status_every=3600, refill_every=3600, catalog_every=3600, balance_every=3600,
    outbox_every=0.05, unconfirmed_every=3600, interrupted_every=3600, children_every=3600,
)  # fmt: skip
"""Only the outbox drain runs often."""


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def collect(bus: EventBus, into: list[Event], ready: asyncio.Event) -> None:
    async with bus.subscribe() as events:
        ready.set()
        async for item in events:
            into.append(item)


def logged(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in record.getMessage() for record in caplog.records)


async def arrived(received: list[Event], event_id: str) -> None:
    await eventually(lambda: event_id in ids(received))


def ids(events: list[Event]) -> list[str]:
    return [item.id for item in events]


async def place_one(gw: Gateway) -> int:
    """An order placed through `gw` on a plain single-provider service; returns its id."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        member = group.members[0]
        plain = group.type is ServiceType.DEFAULT and not member.service.dripfeed
        if plain and len(group.members) == 1:
            fields = {"link": "https://instagram.com/p/tail", "quantity": member.service.min}
            return (await gw.place("client", group.id, fields)).id
    raise AssertionError("no plain service to order")


async def test_a_gateway_without_jobs_hears_every_event_while_redis_is_down(
    trio: Trio,
    redis_server: RedisServer,
    database_url: str,
    namespace: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings: Settings = trio_settings(trio, database_url, redis_server.url, namespace)
    settings = settings.model_copy(update={"workers": WorkersSection(in_process=False)})
    assert not settings.workers.in_process
    caplog.set_level(logging.INFO, "gateway.workers")
    channel = f"{namespace}:events"
    bus = EventBus(backlog=10_000)
    received: list[Event] = []
    subscribed = asyncio.Event()
    collector = asyncio.create_task(collect(bus, received, subscribed))
    await subscribed.wait()
    async with open_gateway(settings, trio) as gw, open_gateway(settings, trio) as other:
        # A separate worker process's drain: publishes through Redis, has no subscribers.
        worker = RedisBroadcast(redis_server.url, channel)
        drain = OutboxDrain(other.store, worker)
        try:
            async with background(gw, bus, run_jobs=settings.workers.in_process):
                await queue_events(other.store, 1)  # evt_0, through Redis
                assert await drain.run() == 1
                await eventually(lambda: ids(received) == ["evt_0"])

                redis_server.stop()
                await eventually(lambda: logged(caplog, TAILING) == 1)
                order_id = await place_one(gw)  # nobody drains it: no jobs here
                await eventually(
                    lambda: any(
                        e.type == ORDER_CREATED and e.order_id == order_id for e in received
                    )
                )

                # Written by another instance and drained by the worker (its publish fails).
                async with other.store.transaction() as tx:
                    for n in range(1, 21):
                        await other.store.add_outbox(tx, f"evt_{n}", "order.updated",
                                                     event(n).payload())  # fmt: skip
                assert await drain.run() >= 21
                await eventually(lambda: "evt_20" in ids(received))
                assert [i for i in ids(received) if i[4:].isdigit()] == [
                    f"evt_{n}" for n in range(21)
                ]
                assert not await gw.store.pending_outbox(1)

                redis_server.start()
                await eventually(lambda: logged(caplog, STOPPED) == 1, within=60)
                # The tail has stopped: what comes now comes through Redis.
                back = RedisBroadcast(redis_server.url, channel)
                try:
                    await back.publish([event(99)])
                finally:
                    await back.aclose()
                await eventually(lambda: "evt_99" in ids(received))
                assert logged(caplog, TAILING) == 1, "one outage, one tail"
            written = [row.event_id for row in await gw.store.outbox_after(0, 10_000)]
            counts = Counter(ids(received))
            assert max(counts.values()) == 1, "each event once"
            assert sorted(counts) == sorted([*written, "evt_99"]), "every event"
        finally:
            await worker.aclose()
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)


async def test_an_in_process_drain_and_the_tail_deliver_each_event_once(
    redis_server: RedisServer, database_url: str, namespace: str
) -> None:
    settings = Settings.model_validate(
        {"gateway": {"database_url": database_url, "redis_url": redis_server.url,
                     "cache_namespace": namespace}}
    )  # fmt: skip
    bus = EventBus(backlog=10_000)
    received: list[Event] = []
    subscribed = asyncio.Event()
    collector = asyncio.create_task(collect(bus, received, subscribed))
    await subscribed.wait()
    try:
        async with await Gateway.open(settings) as gw, background(gw, bus, options=QUIET):
            redis_server.stop()
            # Both carry these: the drain's local fallback and the tail.
            for start in range(0, 200, 20):
                async with gw.store.transaction() as tx:
                    for n in range(start, start + 20):
                        item = event(n)
                        await gw.store.add_outbox(tx, item.id, item.type, item.payload())
                await arrived(received, f"evt_{start + 19}")
            marker = event(200)
            async with gw.store.transaction() as tx:
                await gw.store.add_outbox(tx, marker.id, marker.type, marker.payload())
            await arrived(received, marker.id)
        counts = Counter(ids(received))
        assert max(counts.values()) == 1, [i for i, c in counts.items() if c > 1]
        assert sorted(counts) == sorted(f"evt_{n}" for n in range(201))
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)


async def test_the_tail_starts_past_what_was_broadcast_long_enough_ago(database_url: str) -> None:
    now = Now()
    async with await Store.connect(database_url, clock=now) as store:
        assert await store.outbox_settled(10) == 0, "an empty outbox"
        await queue_events(store, 5)
        rows = await store.outbox_after(0, 10)
        assert [row.event_id for row in rows] == [f"evt_{n}" for n in range(5)]
        assert [r.event_id for r in await store.outbox_after(rows[2].id, 1)] == ["evt_3"]
        assert await store.outbox_settled(10) == rows[0].id - 1, "nothing published yet"
        await store.mark_published([rows[0].id, rows[1].id, rows[3].id])
        now.advance(11)
        # evt_2 is pending: the tail must read it (and what follows it).
        assert await store.outbox_settled(10) == rows[1].id
        await store.mark_published([rows[2].id, rows[4].id])
        assert await store.outbox_settled(10) == rows[1].id, "published only just now"
        now.advance(11)
        assert await store.outbox_settled(10) == rows[4].id


def test_recent_forwards_each_id_once_and_remembers_the_last_ones() -> None:
    bus = EventBus()
    recent = Recent(size=3)
    assert [recent.add(i) for i in ["a", "b", "a", "c", "d"]] == [True, True, False, True, True]
    assert "a" not in recent, "the oldest is forgotten"
    assert all(i in recent for i in "bcd")
    recent.forward(event(1), bus)
    assert "evt_1" in recent
