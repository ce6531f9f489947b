"""`repeating`: a step run every few seconds beside a block of work, stopped when it ends.

The loop stops on an event it checks, not only on being cancelled: a cancellation that lands
inside the Redis client can be swallowed there (redis-py), and a loop stopped by cancelling
alone would then go on for good (a job's heartbeat that kept its worker from shutting down
within its grace, a lease renewed after its call had ended).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable


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
