"""The workers inside one gateway process (``serve``, ``demo``), and every instance's listener.

Every instance listens for events (Redis broadcast when Redis is configured, the local bus
otherwise) so its GraphQL subscribers hear every change; the jobs run here too unless separate
``smm-gateway worker`` processes do them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.events import Event
from gateway.fleet import Heartbeat
from gateway.stopping import cancel_and_wait
from gateway.webhooks.dispatcher import WebhookDispatcher, delivery_client
from gateway.webhooks.options import WebhookOptions
from gateway.workers.broadcast import Broadcast, LocalBroadcast, RedisBroadcast, Sink
from gateway.workers.jobs import PeriodicJob
from gateway.workers.runner import Runner
from gateway.workers.standard import WorkerOptions, standard_jobs


@contextlib.asynccontextmanager
async def webhook_delivery(gw: Gateway) -> AsyncIterator[tuple[list[Sink], list[PeriodicJob]]]:
    """The webhook side of the workers: a sink that schedules deliveries in the outbox drain's
    transaction, and the job that attempts due deliveries."""
    options = WebhookOptions.from_settings(gw.settings)
    async with delivery_client() as client:
        dispatcher = WebhookDispatcher(gw.store, client, options)

        async def schedule(event: Event, tx: AsyncConnection) -> None:
            await dispatcher.fan_out(event, tx)

        async def deliver(_partition: str | None) -> int:
            return await dispatcher.deliver_due(100)

        yield [schedule], [PeriodicJob("webhooks", 1.0, deliver)]


def broadcast_for(gw: Gateway, bus: EventBus) -> Broadcast:
    """Redis pub/sub shared by every instance, or this process's bus when there is no Redis;
    while Redis is unreachable, the listener reads the outbox for this instance's bus."""
    settings = gw.settings.gateway
    if settings.redis_url:
        return RedisBroadcast(
            settings.redis_url, f"{settings.cache_namespace}:events", local=bus, store=gw.store
        )
    return LocalBroadcast(bus)


def heartbeat_for(gw: Gateway, kind: str) -> Heartbeat:
    """This process's heartbeat in the ledger, paced by ``[workers]``."""
    section = gw.settings.workers
    return Heartbeat(
        gw.store, kind, every=section.heartbeat_seconds, timeout=section.heartbeat_timeout_seconds
    )


@contextlib.asynccontextmanager
async def background(
    gw: Gateway,
    bus: EventBus,
    *,
    run_jobs: bool = True,
    options: WorkerOptions | None = None,
    extra: Sequence[PeriodicJob] = (),
    sinks: Sequence[Sink] = (),
    listener_wait: float = 5.0,
) -> AsyncIterator[None]:
    """Listen for events and, with `run_jobs`, run the standard jobs (plus `extra`).

    Startup waits for the Redis listener's first try only (subscribed, or failed: refused at
    once, a silent Redis after the client's timeouts), at most `listener_wait` seconds; with
    Redis down it serves at once and keeps retrying behind."""
    broadcast = broadcast_for(gw, bus)
    listener: asyncio.Task[None] | None = None
    if isinstance(broadcast, RedisBroadcast):
        tried = asyncio.Event()
        listener = asyncio.create_task(broadcast.listen(bus, tried=tried))
        # Subscribed, or failed once (Redis down: serve without it, retrying behind).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tried.wait(), timeout=listener_wait)
    runner: Runner | None = None
    try:
        async with (
            heartbeat_for(gw, "gateway"),
            webhook_delivery(gw) as (
                webhook_sinks,
                webhook_jobs,
            ),
        ):
            if run_jobs:
                jobs = standard_jobs(gw, broadcast, options, sinks=[*webhook_sinks, *sinks])
                runner = Runner([*jobs, *webhook_jobs, *extra])
                await runner.start()
            try:
                yield
            finally:
                if runner is not None:
                    await runner.aclose()
    finally:
        if listener is not None:
            await cancel_and_wait(listener)
        await broadcast.aclose()
