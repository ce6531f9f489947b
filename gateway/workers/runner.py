"""The in-process runner: periodic jobs as loops beside the app, for a single instance.

Built from small parts in the way of arq and saq's worker loops: one loop per job key at a
fixed rate, errors logged (a loop that stops silently stops the work), a stop event, and a
grace period for the runs in flight before they are cancelled::

    runner = Runner(standard_jobs(gw, broadcast))
    await runner.start()
    ...
    await runner.aclose()      # lets running jobs finish for `grace` seconds, then cancels
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from gateway.workers.jobs import PeriodicJob
from gateway.workers.together import together

log = logging.getLogger(__name__)


class Runner:
    """Runs every key of every job on its own schedule until closed."""

    def __init__(self, jobs: Sequence[PeriodicJob], *, grace: float = 10.0) -> None:
        self.jobs = list(jobs)
        self.grace = grace
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self._tasks:
            raise RuntimeError("the runner is already running")
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self._loop(job, key, part), name=f"job:{key}")
            for job in self.jobs
            for key, part in job.runs()
        ]

    async def run_once(self) -> None:
        """Run every key of every job once, concurrently (tests, ``demo`` warm-up); the first
        failure stops the other runs before it is raised."""
        await together(job.run(part) for job in self.jobs for _, part in job.runs())

    async def _loop(self, job: PeriodicJob, key: str, part: str | None) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            started = loop.time()
            try:
                async with asyncio.timeout(job.timeout):
                    await job.run(part)
            except Exception:
                log.exception("job %s failed; it runs again in %gs", key, job.every)
            delay = max(0.0, job.every - (loop.time() - started))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()

    async def aclose(self) -> None:
        """Stop scheduling, give runs in flight `grace` seconds, cancel what is left."""
        self._stopping.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.grace)
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
