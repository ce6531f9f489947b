"""Rows for the API faces and the order path, read with every request's arrival in view but
once for many requests at a time.

Rule: a request gets a row as a read *begun after the request arrived* found it, never an older
copy, so a change (a new price list, a suspension, a key's routing policy, a deleted row) shows
on the very next request, on every instance, whoever made the change (the API, the command line
on the database, another instance). Requests for one row that arrive while a read of it is under
way wait for it to finish and then share a single next read; under load one read answers all
the requests that arrived during the previous one, and a lone request costs one read as before.

On SQLite (with or without Redis) a read is skipped when the database proves that nothing was
committed since the last one: ``PRAGMA data_version`` on a connection of this process's own that
never writes changes whenever any other connection, of any process (the API, the command line
with ``--config``, another instance on the same file), commits anything. Each read notes the
version just before it begins; a request that finds the version unchanged since the read of its
row gets that read's row (it is the row a read begun now would find), and any other request
reads again. The check is a few microseconds on the event loop's thread and never waits on a
lock (``busy_timeout`` 0): a busy or failing check is no proof, and the request reads. One
check serves every request handled in the same turn of the event loop: a request's bytes reach
the loop in an earlier turn than any step of its handler, so a check made in this turn began
after every such request arrived (it is forgotten by a callback scheduled as it is made, which
runs before any step scheduled after it). On PostgreSQL every request reads (one read shared
as above).

::

    keys = SharedReads(store.api_key, version=data_version(store))
    key = await keys.get(key_id)  # None: the key is gone
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from gateway.store import Store

R = TypeVar("R")
Read = Callable[[int], Awaitable[R | None]]
MAX_KEPT = 4096
"""Rows kept for the version check; the oldest half goes when full."""


class DataVersion:
    """``PRAGMA data_version`` of a SQLite file, on a connection of its own that never writes:
    it changes whenever another connection commits. None when the check cannot say."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def __call__(self) -> int | None:
        try:
            if self._conn is None:
                conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                weakref.finalize(self, conn.close)
                conn.execute("PRAGMA busy_timeout = 0")  # never wait on the event loop's thread
                self._conn = conn
            # fetchall: the statement is done and its read transaction over at once.
            version: int = self._conn.execute("PRAGMA data_version").fetchall()[0][0]
            return version
        except sqlite3.Error:
            return None


def data_version(store: Store) -> DataVersion | None:
    """The version check of `store`'s database: SQLite files only."""
    if store.dialect != "sqlite" or not store.engine.url.database:
        return None
    return DataVersion(store.engine.url.database)


class SharedReads(Generic[R]):
    """Shared reads of one kind of row, by id."""

    def __init__(self, read: Read[R], *, version: Callable[[], int | None] | None = None) -> None:
        self._read = read
        self._version = version
        self._seen: tuple[int | None] | None = None
        """The version checked in this turn of the event loop, if any."""
        self._kept: dict[int, tuple[int, R | None]] = {}
        """Per row: the last row read, and the database's version just before that read."""
        self._waiting: dict[int, asyncio.Future[R | None]] = {}
        """Per row: the requests that arrived since its current read began."""
        self._reading: dict[int, asyncio.Task[None]] = {}
        self.reads = 0
        """How many reads were made (for tests and curiosity)."""

    async def get(self, row_id: int) -> R | None:
        """The row as a read begun after this call found it; None when there is none."""
        if self._version is not None:
            kept = self._kept.get(row_id)
            if kept is not None and kept[0] == self._current():
                return kept[1]  # nothing committed anywhere since its read began
        waiter = self._waiting.get(row_id)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting[row_id] = waiter
            if row_id not in self._reading:
                self._reading[row_id] = asyncio.create_task(self._run(row_id))
        # Shielded: one caller giving up must not cancel the answer the others wait for.
        return await asyncio.shield(waiter)

    async def _run(self, row_id: int) -> None:
        try:
            # Everyone waiting now arrived before this read begins, so its answer is theirs.
            while (waiter := self._waiting.pop(row_id, None)) is not None:
                self.reads += 1
                version = None if self._version is None else self._current()
                try:
                    row = await self._read(row_id)
                except asyncio.CancelledError:
                    waiter.cancel()
                    raise
                except Exception as exc:
                    waiter.set_exception(exc)
                    waiter.exception()  # the callers re-raise it; never "unretrieved"
                else:
                    waiter.set_result(row)
                    self._keep(row_id, version, row)
        finally:
            self._reading.pop(row_id, None)
            with contextlib.suppress(KeyError):
                # Left behind only when this task was cancelled (the app shutting down).
                self._waiting.pop(row_id).cancel()

    def _current(self) -> int | None:
        """The database's version, checked at most once a turn of the event loop."""
        seen = self._seen
        if seen is None:
            assert self._version is not None
            seen = self._seen = (self._version(),)
            asyncio.get_running_loop().call_soon(self._forget_seen)
        return seen[0]

    def _forget_seen(self) -> None:
        self._seen = None

    def _keep(self, row_id: int, version: int | None, row: R | None) -> None:
        if version is None:
            self._kept.pop(row_id, None)
            return
        if len(self._kept) >= MAX_KEPT:
            for stale in list(self._kept)[: MAX_KEPT // 2]:
                del self._kept[stale]
        self._kept[row_id] = (version, row)
