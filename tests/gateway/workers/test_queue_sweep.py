"""The fleet queue's sweep, on the real Redis: a job a worker is starting is left alone; a job
a worker left half-taken, or stopped heartbeating on, is re-queued."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from saq.job import Job, Status
from saq.utils import now

from gateway.workers.fleet_queue import FleetQueue, queue_for


@pytest.fixture
async def queue(redis_url: str, namespace: str) -> AsyncIterator[FleetQueue]:
    queue = queue_for(redis_url, namespace, abort_wait=0.1)
    await queue.connect()
    try:
        yield queue
    finally:
        keys = [key async for key in queue.redis.scan_iter(match=f"*{namespace}*")]
        if keys:
            await queue.redis.delete(*keys)
        await queue.disconnect()


async def sweep_now(queue: FleetQueue) -> list[str]:
    """One sweep, as the next sweep period's would run (the last one's lock lifted)."""
    await queue.redis.delete(queue.namespace("sweep"))
    return await queue.sweep(lock=60)


async def taken(queue: FleetQueue, key: str) -> Job:
    """`key` enqueued and moved to the active list, as a worker's first step takes it.

    Keys carry the queue's name: saq's abort marks (``saq:abort:KEY``) are shared by every
    queue on a Redis, and a sweep's mark would hold back another test's key for seconds.
    """
    key = f"{key}@{queue.name}"
    assert await queue.enqueue(Job(function="sync", key=key, retries=2, heartbeat=60))
    job = await queue.dequeue(timeout=1)
    assert job is not None
    assert job.key == key
    return job


async def started(job: Job) -> None:
    """The worker's second step: the job is marked running."""
    job.started = now()
    job.attempts += 1
    await job.update(status=Status.ACTIVE)


async def stored(queue: FleetQueue, key: str) -> Job:
    job = await queue.job(key)
    assert job is not None
    return job


async def test_a_job_between_its_two_starting_steps_is_not_swept(queue: FleetQueue) -> None:
    job = await taken(queue, "status_sync:alpha")
    assert (await stored(queue, job.key)).status == Status.QUEUED

    assert await sweep_now(queue) == [], "one sighting is a worker starting it, not a dead one"
    # The worker's second step: the job is running, and later sweeps leave it alone too.
    await started(job)
    assert await sweep_now(queue) == []
    assert await sweep_now(queue) == []
    assert (await stored(queue, job.key)).status == Status.ACTIVE


async def test_a_job_a_worker_left_half_taken_is_requeued_by_the_next_sweep(
    queue: FleetQueue,
) -> None:
    job = await taken(queue, "outbox")
    assert await sweep_now(queue) == []
    # Still QUEUED in the active list a sweep later: its worker died between the two steps.
    assert await sweep_now(queue) == [job.id]
    requeued = await stored(queue, job.key)
    assert requeued.status == Status.QUEUED
    again = await queue.dequeue(timeout=1)
    assert again is not None, "it is in the queue again"
    assert again.key == job.key


async def test_a_new_run_of_the_same_key_is_a_new_sighting(queue: FleetQueue) -> None:
    first = await taken(queue, "outbox")
    assert await sweep_now(queue) == []
    await started(first)
    await first.finish(Status.COMPLETE)
    # The key's next run, caught between its two steps: seen once, so not swept yet.
    await taken(queue, "outbox")
    assert await sweep_now(queue) == []


async def test_a_running_job_that_stopped_heartbeating_is_swept_at_once(
    queue: FleetQueue,
) -> None:
    job = await taken(queue, "catalog_refresh:beta")
    await started(job)
    await job.update(heartbeat=1, touched=1)
    assert await sweep_now(queue) == [job.id]
    assert (await stored(queue, job.key)).status == Status.QUEUED
