"""A share of a provider's capacity kept for writes.

A panel allows so many calls in flight and so many a minute, and an `add` must never wait
behind a crowd of status polls. Reads take a turn at a `ReadShare` first, sized below the
provider's own gate and rate, then queue there with the writes; so however many reads are
waiting, a `write_share` of the calls in flight and of the rate is always left for writes::

    share = ReadShare(concurrency=4, calls_per_minute=120)   # reads: 3 in flight, 90 a minute
    async with share.turn(deadline=30, too_long=lambda: TimeoutError()):
        ...  # then the provider's own gate and rate limit, as for any call
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter

WRITE_SHARE = 0.25
"""The part of a provider's calls in flight and of its rate that reads cannot take."""


def _reads(total: int, write_share: float) -> int:
    """What reads may take of `total`: all but at least one unit, when there is more than one."""
    if total <= 1:
        return total
    return max(1, total - max(1, round(total * write_share)))


class ReadShare:
    """The turn every read takes before the provider's own gate and rate limit."""

    def __init__(
        self, concurrency: int, calls_per_minute: int, *, write_share: float = WRITE_SHARE
    ) -> None:
        if not 0 <= write_share < 1:
            raise ValueError("the write share must be within 0..1 (1 excluded)")
        self.concurrency = _reads(concurrency, write_share) if write_share else concurrency
        self.calls_per_minute = (
            _reads(calls_per_minute, write_share) if write_share else calls_per_minute
        )
        self._gate = asyncio.Semaphore(self.concurrency)
        self._limiter = AsyncLimiter(self.calls_per_minute, 60)

    @asynccontextmanager
    async def turn(self, deadline: float, too_long: Callable[[], Exception]) -> AsyncIterator[None]:
        """Hold a read's place for the whole call; waiting longer than `deadline` raises
        `too_long()` (the call never left)."""
        try:
            async with asyncio.timeout(deadline):
                await self._gate.acquire()
        except TimeoutError:
            raise too_long() from None
        try:
            try:
                async with asyncio.timeout(deadline):
                    await self._limiter.acquire()
            except TimeoutError:
                raise too_long() from None
            yield
        finally:
            self._gate.release()
