"""Group commit for the status sync: answers written behind the calls, many batches at once.

A lane hands its batch's answers to `GroupWrites.add` and goes on to its next call at once; one
write at a time takes every batch waiting (up to `most` of them) into one transaction. So the
ledger's writes overlap the network wait of the next calls, and a hundred batches cost a few
transactions (and a few fsyncs on SQLite), not a hundred. A lane waits only when `most` batches
are already waiting (the writes are behind).

    writes = GroupWrites(write_batches, release_batches, most=10)
    await writes.add(batch)      # returns at once unless the writes are behind
    await writes.close()         # every batch added is written (or the write's error raises)

Batches not written when the sync is cancelled are handed to `release` (their orders due
again now). A write that fails stops the sync: `add` and `close` raise its error, and the
orders of the batches left unwritten keep their claims until the lease or heartbeat ends
them, as a worker that dies mid-write leaves them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupWrites(Generic[T]):
    """Batches written in groups by one background write at a time."""

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        release: Callable[[list[T]], Awaitable[None]],
        *,
        most: int = 10,
    ) -> None:
        self._write = write
        self._release = release
        self.most = most
        self._pending: list[T] = []
        self._task: asyncio.Task[None] | None = None
        self._taken = asyncio.Event()

    async def add(self, batch: T) -> None:
        """Queue `batch` for the next write; wait only while `most` batches are waiting."""
        self._raise_failure()
        self._pending.append(batch)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="status_sync:writes")
        while len(self._pending) > self.most and not self._task.done():
            self._taken.clear()
            await self._taken.wait()
        self._raise_failure()

    async def close(self) -> None:
        """Wait until every batch added is written; raise the error of a write that failed."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        self._raise_failure()

    async def abort(self) -> None:
        """Stop writing (the sync is cancelled): the batches not written are released."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        left, self._pending = self._pending, []
        if left:
            await asyncio.shield(self._release(left))

    def _raise_failure(self) -> None:
        task = self._task
        if task is not None and task.done() and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error

    async def _flush(self) -> None:
        try:
            while self._pending:
                group, self._pending = self._pending[: self.most], self._pending[self.most :]
                self._taken.set()
                try:
                    await self._write(group)
                except asyncio.CancelledError:
                    # Rolled back: these orders are due again now, like the ones still waiting.
                    self._pending = group + self._pending
                    raise
        finally:
            self._taken.set()
