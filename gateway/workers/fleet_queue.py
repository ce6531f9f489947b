"""The workers' saq queue in Redis, with a sweep that tells a starting job from a dead one.

See `FleetQueue`; `gateway.workers.queue` runs the workers on it.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from saq.job import Job, Status
from saq.queue.redis import RedisQueue

log = logging.getLogger(__name__)


class FleetQueue(RedisQueue):
    """saq's Redis queue, with a sweep that leaves starting jobs alone and waits less.

    - *Starting jobs.* A worker takes a job in two steps: it moves the job's id to the active
      list, then marks the job ACTIVE. saq's sweep takes any job in the active list that is not
      ACTIVE for a dead worker's: one caught between the two steps was aborted and re-queued
      while its worker went on running it, so the same key ran twice and the first run outlived
      the worker's shutdown grace. Here a job found there still QUEUED is swept only when an
      earlier sweep (by any worker: the mark is in Redis) found the same run of it so, at least
      one sweep period before; a worker that died between the two steps leaves it so for good,
      and the next sweep takes it.
    - *Bounded abort wait.* The sweep asks a stuck job's worker to abort it and waits for that
      before re-queueing, one job at a time, 5 s each by default. A SIGKILLed worker never
      answers, and it leaves every job it had running, so the default would hold its work back
      for 5 s per job; a live worker notices an abort within a second (saq's abort timer),
      which bounds the wait.
    """

    def __init__(self, redis: aioredis.Redis, *, name: str, abort_wait: float = 1.5) -> None:
        super().__init__(redis, name=name)
        self.abort_wait = abort_wait

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        # saq's RedisQueue.sweep, but for the starting jobs and the bounded wait.
        if not self._cleanup_script:
            self._cleanup_script = self.redis.register_script(_ACTIVE_JOBS_UNLESS_SWEPT)
        id_jobs = await self._cleanup_script(
            keys=[self._sweep, self._active], args=[lock], client=self.redis
        )
        swept: list[bytes] = []
        for job_id, job_bytes in id_jobs:
            job = self.deserialize(job_bytes)
            if job is None:
                swept.append(job_id)
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(self._active, 0, job_id)
                    pipe.zrem(self._incomplete, job_id)
                    await pipe.execute()
                log.info("Sweeping missing job %s", job_id)
                continue
            if job.status == Status.QUEUED and not await self._found_starting_before(job, lock):
                continue
            if job.status != Status.ACTIVE or job.stuck:
                log.info("Sweeping job %s", job.info())
                swept.append(job_id)
                await self.abort(job, error=self.swept_error_message)
                try:
                    await job.refresh(min(abort, self.abort_wait))
                except TimeoutError:
                    log.info("Could not abort job %s", job_id)
                if job.retryable:
                    await self.retry(job, error=self.swept_error_message)
                else:
                    await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        return [job_id.decode("utf-8") for job_id in swept]

    async def _found_starting_before(self, job: Job, lock: int) -> bool:
        """Whether an earlier sweep found this run of `job` QUEUED in the active list; if not,
        mark it found now (for a few sweep periods)."""
        mark = self.namespace(f"starting:{job.key}")
        run = f"{job.queued}:{job.attempts}".encode()
        if await self.redis.get(mark) == run:
            await self.redis.delete(mark)
            return True
        await self.redis.set(mark, run, ex=max(3 * lock, 10))
        return False


_ACTIVE_JOBS_UNLESS_SWEPT = """
local id_jobs = {}
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SETEX', KEYS[1], ARGV[1], 1)
    for i, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        id_jobs[i] = {v, redis.call('GET', v)}
    end
end
return id_jobs
"""
"""The active jobs' ids and records, unless a sweep ran within ARGV[1] seconds (saq's own)."""


def queue_for(redis_url: str, namespace: str, *, abort_wait: float = 1.5) -> FleetQueue:
    """The workers' queue in the deployment's Redis namespace."""
    redis = aioredis.Redis.from_url(redis_url)
    return FleetQueue(redis, name=f"{namespace}:workers", abort_wait=abort_wait)
