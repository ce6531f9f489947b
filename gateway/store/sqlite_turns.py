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
closed or dropped without committing or rolling back).
"""

from __future__ import annotations

import asyncio
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

    async def take(self, writer: Writer) -> None:
        """Wait until `writer` may ask SQLite for the write lock."""
        while True:
            try:
                await asyncio.wait_for(self._lock.acquire(), RECHECK_SECONDS)
            except TimeoutError:
                holder = self._holder
                if holder is not None and not holder.writing():
                    # Its transaction ended without a word: the turn is free.
                    self.give_back(holder)
                continue
            self._holder = writer
            return

    def give_back(self, writer: Writer) -> None:
        """End `writer`'s turn, if it has it."""
        if self._holder is writer:
            self._holder = None
            self._lock.release()

    def held_by(self, writer: Writer) -> bool:
        return self._holder is writer


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
