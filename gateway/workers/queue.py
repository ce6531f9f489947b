"""Separate worker processes, any number of them, coordinated through Redis with saq.

Why saq: it is asyncio-native (a job runs in the same event loop as the async store and the
providers' shared HTTP clients), keeps its state in the Redis the gateway already uses, is
small and actively maintained, and gives exactly the fleet-level guarantees needed here:

- *one run per key at a time*: a job's key (``status_sync:alpha``) is unique among incomplete
  jobs, so however many workers offer it, one runs (each provider's rate limit and calls in
  flight are fleet-wide through `gateway.fleet_limits`, whichever process calls);
- *SIGKILL-safe*: a running job heartbeats; when its worker dies the sweep re-queues it, and the
  orders it had claimed come back once the worker's own heartbeat in the ledger expires;
- *graceful SIGTERM*: the worker stops taking jobs and gives those in flight a grace period
  before cancelling them (a cancelled status sync hands its claimed orders straight back; its
  open transaction rolls back, so nothing is half-written).

What saq does not decide is which orders a run polls: that is the store's claim, so even two
overlapping runs never poll one order twice. saq's cron is per function and by the minute;
partitioned jobs at a seconds pace are scheduled here instead: every worker offers every key
each `every` seconds, and the key's uniqueness drops the duplicates.

::

    async with await Gateway.open(settings) as gw:
        await run_worker(gw, WorkerOptions())        # until SIGTERM or SIGINT
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Sequence
from typing import Any

from saq import Queue, Worker
from saq.job import Job
from saq.types import Context

from gateway.core import Gateway
from gateway.fleet import Heartbeat
from gateway.stopping import repeating
from gateway.workers.broadcast import RedisBroadcast, Sink
from gateway.workers.fleet_queue import queue_for
from gateway.workers.jobs import PeriodicJob
from gateway.workers.standard import WorkerOptions, standard_jobs

log = logging.getLogger(__name__)


class FleetWorker(Worker[Context]):
    """saq's worker, with upkeep that ends when the worker stops.

    saq's upkeep loops (sweep, abort, schedule, worker info) sleep their whole period before
    they look at the stop event again; worker info sleeps 10 s, so a SIGTERM waited that out
    past any shorter grace, and saq cancelled the loops as tasks that "did not finish within
    the shutdown grace period". Upkeep is housekeeping that any worker repeats, so it stops at
    once and the grace is left to the jobs in flight.
    """

    async def upkeep(self) -> list[asyncio.Task[None]]:
        tasks = await super().upkeep()

        async def end_with_the_worker() -> None:
            await self.event.wait()
            for task in tasks:
                task.cancel()

        return [*tasks, asyncio.create_task(end_with_the_worker(), name="upkeep-stop")]


class QueueWorker:
    """Runs `jobs` as saq jobs: offers every key on schedule and processes what it dequeues.

    `heartbeat` (seconds) bounds how long a killed worker's job stays stuck before the sweep
    (every `sweep` seconds, by any worker) re-queues it; `grace` is how long SIGTERM waits.
    """

    def __init__(
        self,
        jobs: Sequence[PeriodicJob],
        queue: Queue,
        *,
        heartbeat: int = 10,
        sweep: int = 5,
        grace: int = 10,
        retries: int = 2,
        tick: float = 0.2,
    ) -> None:
        self.jobs = list(jobs)
        self.queue = queue
        self.heartbeat = heartbeat
        self.sweep = sweep
        self.grace = grace
        self.retries = retries
        self.tick = tick
        self._by_name = {job.name: job for job in self.jobs}

    def worker(self) -> FleetWorker:
        keys = sum(len(job.runs()) for job in self.jobs)
        return FleetWorker(
            self.queue,
            [(job.name, self._function(job)) for job in self.jobs],
            concurrency=max(keys, 1),
            timers={"sweep": self.sweep, "schedule": 1, "abort": 1, "worker_info": 10},
            # A bounded dequeue lets the worker notice a stop without waiting out the grace.
            dequeue_timeout=1.0,
            shutdown_grace_period_s=self.grace,
        )

    def _function(self, job: PeriodicJob) -> Any:
        async def run(ctx: Context, *, partition: str | None = None) -> None:
            async with self._beating(ctx.get("job")):
                await job.run(partition)

        run.__qualname__ = job.name
        return run

    @contextlib.asynccontextmanager
    async def _beating(self, job: Job | None) -> AsyncIterator[None]:
        """Refresh the job's heartbeat while it runs, so the sweep knows it is alive."""
        if job is None or not self.heartbeat:
            yield
            return
        async with repeating(self.heartbeat / 3, job.update, name=f"heartbeat:{job.key}"):
            yield

    async def offer(self, job: PeriodicJob, key: str, partition: str | None) -> bool:
        """Enqueue one run of `key` unless one is already queued or running; True if queued."""
        saq_job = Job(
            function=job.name,
            kwargs={"partition": partition},
            key=key,
            timeout=math.ceil(job.timeout),
            heartbeat=self.heartbeat,
            retries=self.retries,
            ttl=60,
        )
        return await self.queue.enqueue(saq_job) is not None

    async def schedule(self, worker: Worker[Context]) -> None:
        """Offer each key every `every` seconds until `worker` stops."""
        loop = asyncio.get_running_loop()
        due = {key: 0.0 for job in self.jobs for key, _ in job.runs()}
        # saq makes the worker's stop event anew when it starts: read it each turn, never keep
        # one from before (that one is never set, and jobs kept being offered while stopping).
        while not worker.event.is_set():
            for job in self.jobs:
                for key, part in job.runs():
                    if loop.time() >= due[key]:
                        due[key] = loop.time() + job.every
                        try:
                            await self.offer(job, key, part)
                        except Exception:
                            log.exception("could not offer job %s", key)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick):
                    await worker.event.wait()

    async def run(self) -> None:
        """Process jobs until SIGTERM or SIGINT (saq installs the handlers) or cancellation."""
        await self.queue.connect()
        worker = self.worker()
        scheduler = asyncio.create_task(self.schedule(worker), name="schedule")
        try:
            await worker.start()
        finally:
            worker.event.set()
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
            await self.queue.disconnect()


async def run_worker(
    gw: Gateway,
    options: WorkerOptions | None = None,
    *,
    extra: Sequence[PeriodicJob] = (),
    sinks: Sequence[Sink] = (),
    heartbeat: int | None = None,
    sweep: int | None = None,
    grace: int = 10,
    abort_wait: float = 1.5,
) -> None:
    """One ``smm-gateway worker`` process: the standard jobs (plus `extra`) on the queue.

    The process heartbeats in the ledger (``[workers]`` heartbeat), and its saq jobs do too,
    with the same timeout by default: a killed worker's running jobs and its claimed orders
    come back within about ``heartbeat_timeout_seconds``.
    """
    section = gw.settings.workers
    if heartbeat is None:
        heartbeat = max(1, math.ceil(section.heartbeat_timeout_seconds))
    if sweep is None:
        sweep = max(1, math.ceil(section.heartbeat_seconds))
    redis_url = gw.settings.gateway.redis_url
    if not redis_url:
        raise ValueError(
            "worker processes coordinate through Redis: set gateway.redis_url, "
            "or run the jobs in-process with `smm-gateway serve`"
        )
    namespace = gw.settings.gateway.cache_namespace
    broadcast = RedisBroadcast(redis_url, f"{namespace}:events")
    alive = Heartbeat(
        gw.store,
        "worker",
        every=section.heartbeat_seconds,
        timeout=section.heartbeat_timeout_seconds,
    )
    try:
        jobs = [*standard_jobs(gw, broadcast, options, sinks=sinks), *extra]
        worker = QueueWorker(
            jobs,
            queue_for(redis_url, namespace, abort_wait=abort_wait),
            heartbeat=heartbeat,
            sweep=sweep,
            grace=grace,
        )
        async with alive:
            await worker.run()
    finally:
        await broadcast.aclose()
