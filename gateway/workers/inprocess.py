"""The workers inside one gateway process (``serve``, ``demo``), and every instance's listener.

Every instance listens for events (Redis broadcast when Redis is configured, the local bus
otherwise) so its GraphQL subscribers hear every change; the jobs run here too unless separate
``smm-gateway worker`` processes do them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from gateway.core import Gateway
from gateway.events import EventBus
from gateway.workers.broadcast import Broadcast, LocalBroadcast, RedisBroadcast, Sink
from gateway.workers.jobs import PeriodicJob
from gateway.workers.runner import Runner
from gateway.workers.standard import WorkerOptions, standard_jobs


def broadcast_for(gw: Gateway, bus: EventBus) -> Broadcast:
    """Redis pub/sub shared by every instance, or this process's bus when there is no Redis."""
    settings = gw.settings.gateway
    if settings.redis_url:
        return RedisBroadcast(settings.redis_url, f"{settings.cache_namespace}:events")
    return LocalBroadcast(bus)


@contextlib.asynccontextmanager
async def background(
    gw: Gateway,
    bus: EventBus,
    *,
    run_jobs: bool = True,
    options: WorkerOptions | None = None,
    extra: Sequence[PeriodicJob] = (),
    sinks: Sequence[Sink] = (),
) -> AsyncIterator[None]:
    """Listen for events and, with `run_jobs`, run the standard jobs (plus `extra`)."""
    broadcast = broadcast_for(gw, bus)
    listener: asyncio.Task[None] | None = None
    if isinstance(broadcast, RedisBroadcast):
        ready = asyncio.Event()
        listener = asyncio.create_task(broadcast.listen(bus, ready))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), timeout=5)
    runner: Runner | None = None
    if run_jobs:
        runner = Runner([*standard_jobs(gw, broadcast, options, sinks=sinks), *extra])
        await runner.start()
    try:
        yield
    finally:
        if runner is not None:
            await runner.aclose()
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        await broadcast.aclose()
