"""What every group of queries shares: the engine, the clock and transaction scoping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Clock = Callable[[], datetime]
T = TypeVar("T")

CHUNK = 500
"""Rows per statement in bulk operations: well under SQLite's and PostgreSQL's bind limits."""


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`items` in lists of at most `size`."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Queries:
    """Base of the query groups that make up ``Store``.

    Every public method takes an optional ``tx``: pass the connection of
    ``store.transaction()`` to make the call part of a larger atomic write; leave it out and
    the call runs in a transaction of its own.
    """

    _engine: AsyncEngine
    _reader: AsyncEngine
    _single: AsyncEngine | None
    _clock: Clock

    @asynccontextmanager
    async def _write(self, tx: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        if tx is not None:
            yield tx
            return
        async with self._engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _write_one(self, tx: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        """`_write` for exactly one statement: on PostgreSQL, outside the caller's transaction,
        the statement is its own (no ``BEGIN`` and ``COMMIT``: two round trips fewer)."""
        if tx is None and self._single is not None:
            async with self._single.connect() as connection:
                yield connection
            return
        async with self._write(tx) as connection:
            yield connection

    @asynccontextmanager
    async def _read(self, tx: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        if tx is not None:
            yield tx
            return
        async with self._reader.connect() as connection:
            yield connection

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which knows ``ON CONFLICT DO NOTHING``."""
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)
