"""Stopping background work for sure: the Redis client sometimes swallows a cancellation.

A cancellation that lands inside a Redis command can be caught there and lost (redis-py): the
task goes on as if nothing happened. Work stopped by one `cancel()` then went on for good (a
job's heartbeat that kept the job from ever finishing, so its key stayed taken; a lease
renewed after its call had ended). So:

- `repeating` runs a step every few seconds beside a block; the loop stops on an event it
  checks, and cancelling is only a second way to stop it;
- `cancel_and_wait` cancels a task that loops on Redis again until it has stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any


@contextlib.asynccontextmanager
async def repeating(
    every: float, step: Callable[[], Awaitable[object]], *, name: str | None = None
) -> AsyncIterator[None]:
    """Run `step` every `every` seconds (first after `every`) while the block runs; on the
    way out, stop it and wait until it has stopped (a step under way is let finish if its
    cancellation is swallowed); an error of `step` is raised there.

        async with repeating(lease / 3, renew):
            await call()
    """
    stopped = asyncio.Event()

    async def loop() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await stopped.wait()
            if stopped.is_set():
                return
            await step()
            if stopped.is_set():
                return

    task = asyncio.create_task(loop(), name=name)
    try:
        yield
    finally:
        stopped.set()
        task.cancel()
        # `wait`, not `await task`: a cancellation of the caller still reaches the caller.
        await asyncio.wait({task})
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error


async def cancel_and_wait(task: asyncio.Future[Any], *, again_after: float = 0.1) -> None:
    """Cancel `task` and wait until it is done, cancelling it again every `again_after`
    seconds while it goes on (its cancellation was swallowed). Its outcome is not raised; a
    cancellation of the caller still reaches the caller."""
    task.cancel()
    while not task.done():
        await asyncio.wait({task}, timeout=again_after)
        if not task.done():
            task.cancel()
    if not task.cancelled():
        task.exception()  # retrieved: a failure on the way out is not logged as unretrieved
