"""Write turns: a process's SQLite write transactions take the database's write lock in turn.

SQLite lets one writer at a time hold a database. A connection that asks while another holds
it waits in SQLite's busy handler, which sleeps and asks again (1, 2, 5, 10 ... 100 ms): under
a burst of orders, writers of one process spent most of their time asleep while the lock lay
free. Here the writers of one engine queue first on an asyncio lock, in arrival order, and the
next one is woken the moment a transaction ends; only a writer of another process (the CLI, a
worker) is still waited for in the busy handler.

The turn is an optimisation, never what makes writes safe: ``BEGIN IMMEDIATE`` still takes
SQLite's own lock. So a turn never blocks for good: a writer that waited `RECHECK_SECONDS`
looks at the holder and takes the turn over if its transaction is no longer open (a connection
closed or dropped without committing or rolling back), and one that waited as long as SQLite's
busy timeout fails as SQLite would, with "database is locked" (a holder stuck in its
transaction, or a task that opened a second write transaction inside its first).
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Protocol
from weakref import WeakKeyDictionary

RECHECK_SECONDS = 0.5


class Writer(Protocol):
    def writing(self) -> bool:
        """Whether this connection's write transaction is open."""


class WriteTurn:
    """The turn of one engine's connections on one event loop."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: Writer | None = None

    async def take(self, writer: Writer, limit: float) -> None:
        """Wait until `writer` may ask SQLite for the write lock; ``sqlite3.OperationalError``
        after `limit` seconds."""
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            try:
                # Not `wait_for`: on Python 3.11 it can swallow a cancellation that arrives as
                # the lock is handed over; `Lock.acquire` itself passes the turn on if so.
                async with asyncio.timeout(RECHECK_SECONDS):
                    await self._lock.acquire()
            except TimeoutError:
                holder = self._holder
                if holder is not None and not holder.writing():
                    # Its transaction ended without a word: the turn is free.
                    self.give_back(holder)
                if asyncio.get_running_loop().time() >= deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                continue
            self._holder = writer
            return

    def give_back(self, writer: Writer) -> None:
        """End `writer`'s turn, if it has it (on the loop's thread only: a connection collected
        elsewhere leaves its turn to the recheck)."""
        if self._holder is not writer:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._holder = None
        self._lock.release()

    def held_by(self, writer: Writer) -> bool:
        return self._holder is writer

    def taken(self) -> bool:
        return self._lock.locked()


class WriteTurns:
    """One `WriteTurn` per event loop (an engine may outlive a loop, as in the CLI's tests)."""

    def __init__(self) -> None:
        self._turns: WeakKeyDictionary[asyncio.AbstractEventLoop, WriteTurn] = WeakKeyDictionary()

    def here(self) -> WriteTurn:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = WriteTurn()
        return turn
