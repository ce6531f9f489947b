"""Work run side by side that stops together: the first failure stops the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any

from gateway.stopping import cancel_and_wait


async def together(work: Iterable[Awaitable[object]]) -> None:
    """Run `work` (coroutines or tasks already started) side by side; when one fails, or the
    caller is cancelled, stop the others and wait for them to stop before raising, so that
    none goes on in the background (polling orders the failure hands back, which another
    worker may then claim, or re-syncing a catalog nobody waits for)."""
    tasks = [asyncio.ensure_future(w) for w in work]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        await stop(tasks)
        raise


async def stop(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel `tasks` that are still running and wait until every one has stopped (their
    errors are collected, not raised); a cancellation lost in the Redis client is sent again
    (`cancel_and_wait`)."""
    await asyncio.gather(*(cancel_and_wait(task) for task in tasks))
