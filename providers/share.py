"""A provider's turns: calls in flight and calls a minute, with a share kept for writes.

A panel allows so many calls in flight and so many a minute, and an `add` must never wait
behind a crowd of status polls. Reads take a turn at a `ReadShare` first, sized below the
provider's own gate and rate, then queue there with the writes; so however many reads are
waiting, a `write_share` of the calls in flight and of the rate is always left for writes::

    share = ReadShare(concurrency=4, calls_per_minute=120)   # reads: 3 in flight, 90 a minute
    async with share.turn(deadline=30, too_long=lambda: TimeoutError()):
        ...  # then the provider's own gate and rate limit, as for any call

`CallLimits` is what an adapter asks for a turn; `LocalLimits`, the default, counts in this
process only. An application running many processes against one panel injects its own (the
gateway's counts across the fleet through Redis)::

    panel = V2Provider("alpha", url, key, limits=LocalLimits(4, 120))
    async with panel.limits.turn(write=True, deadline=30, too_long=...):
        ...  # one call
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from aiolimiter import AsyncLimiter

WRITE_SHARE = 0.25
"""The part of a provider's calls in flight and of its rate that reads cannot take."""


def reads_share(total: int, write_share: float = WRITE_SHARE) -> int:
    """What reads may take of `total`: all but at least one unit, when there is more than one."""
    if total <= 1 or not write_share:
        return total
    return max(1, total - max(1, round(total * write_share)))


def _check(write_share: float) -> None:
    if not 0 <= write_share < 1:
        raise ValueError("the write share must be within 0..1 (1 excluded)")


class CallLimits(Protocol):
    """Turns to call one provider: in flight at most `concurrency`, at most `calls_per_minute`,
    reads never taking the `write_share` of either."""

    concurrency: int
    calls_per_minute: int

    def turn(
        self, *, write: bool, deadline: float, too_long: Callable[[], Exception]
    ) -> AbstractAsyncContextManager[None]:
        """Held for the whole call; waiting longer than `deadline` raises `too_long()` (the
        call never left)."""
        ...

    async def aclose(self) -> None: ...


class ReadShare:
    """The turn every read takes before the provider's own gate and rate limit."""

    def __init__(
        self, concurrency: int, calls_per_minute: int, *, write_share: float = WRITE_SHARE
    ) -> None:
        _check(write_share)
        self.concurrency = reads_share(concurrency, write_share)
        self.calls_per_minute = reads_share(calls_per_minute, write_share)
        self._gate = asyncio.Semaphore(self.concurrency)
        self._limiter = AsyncLimiter(self.calls_per_minute, 60)

    @asynccontextmanager
    async def turn(self, deadline: float, too_long: Callable[[], Exception]) -> AsyncIterator[None]:
        """Hold a read's place for the whole call; waiting longer than `deadline` raises
        `too_long()` (the call never left)."""
        async with _gated(self._gate, self._limiter, deadline, too_long):
            yield


@asynccontextmanager
async def _gated(
    gate: asyncio.Semaphore,
    limiter: AsyncLimiter,
    deadline: float,
    too_long: Callable[[], Exception],
) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout(deadline):
            await gate.acquire()
    except TimeoutError:
        raise too_long() from None
    try:
        try:
            async with asyncio.timeout(deadline):
                await limiter.acquire()
        except TimeoutError:
            raise too_long() from None
        yield
    finally:
        gate.release()


class LocalLimits:
    """`CallLimits` counted in this process: a semaphore and a leaky bucket, reads queueing at
    their `ReadShare` first."""

    def __init__(
        self, concurrency: int, calls_per_minute: int, *, write_share: float = WRITE_SHARE
    ) -> None:
        _check(write_share)
        self.concurrency = concurrency
        self.calls_per_minute = calls_per_minute
        self.write_share = write_share
        self._gate = asyncio.Semaphore(concurrency)
        self._limiter = AsyncLimiter(calls_per_minute, 60)
        self.reads = ReadShare(concurrency, calls_per_minute, write_share=write_share)

    @asynccontextmanager
    async def turn(
        self, *, write: bool, deadline: float, too_long: Callable[[], Exception]
    ) -> AsyncIterator[None]:
        if write:
            async with _gated(self._gate, self._limiter, deadline, too_long):
                yield
            return
        async with (
            self.reads.turn(deadline, too_long),
            _gated(self._gate, self._limiter, deadline, too_long),
        ):
            yield

    async def aclose(self) -> None:
        return None
