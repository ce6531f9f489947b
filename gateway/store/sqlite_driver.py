"""The SQLite driver under the ledger: SQLAlchemy's aiosqlite adapter, one thread hop a statement.

aiosqlite runs every call on the connection's own thread, and each call is a round trip from
the event loop to that thread and back (about 75 us on an idle loop, a whole loop turn under
load). SQLAlchemy's adapter makes four of them for a statement that returns rows (open a
cursor, execute, fetch, close) and three for one that does not, and it rolls back every
connection it returns to the pool, in a transaction or not. An order's two transactions made
30 hops; while a write transaction waits for each of them, every other writer of the database
waits for its lock.

Here a statement is one hop: the cursor is opened, executed, read and closed on the
connection's thread in one call, and its description, row count and last row id come back
with its rows. A write transaction makes none until its commit: in the engine's write turn
(`sqlite_turns`) its ``BEGIN IMMEDIATE`` is tried at once on the loop's thread, without
waiting (it goes to the connection's thread to wait only when another process holds the
lock), and once the lock is held no statement can wait for another writer, so they run on the
loop's thread too (microseconds each; a long one, such as a migration's table copy, holds the
loop as long as it holds every other writer). The commit, which waits for the disk, and every
read outside a write transaction (a read may be long) still go to the connection's thread. A
rollback or commit with no transaction open (the pool's reset of a connection whose
transaction already ended) is not sent to the thread at all: SQLite would do nothing.
Errors are sqlite3's own, raised from the same call, so SQLAlchemy wraps them as before.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

from gateway.store.sqlite_turns import WriteTurn, WriteTurns

_BEGIN_WRITE = "BEGIN IMMEDIATE"
_Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[_Description, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """One statement on the connection's thread: what SQLAlchemy reads of its cursor."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(
    connection: sqlite3.Connection, operation: str, parameters: Sequence[Any]
) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class StatementCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds no driver cursor: each statement's outcome, read in one hop."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # The parent opens a driver cursor here (a hop of its own); this one never needs it.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized: Any = {}
        self._rows: collections.deque[Any] = collections.deque()
        self._description: _Description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver cursor was closed with its statement."""

    def _keep(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        adapted = self._adapt_connection
        assert isinstance(adapted, StatementConnection)
        async with adapted._execute_mutex:
            driver = self._connection
            connection = driver._conn
            if adapted.writing():
                # The write lock is ours: the statement cannot wait for another writer.
                self._keep(_run(connection, operation, parameters))
            elif operation == _BEGIN_WRITE:
                await adapted.begin_write()
                self._keep((None, [], -1, None))
            else:
                if isinstance(operation, str) and operation.startswith("BEGIN"):
                    adapted._writing = False
                self._keep(await driver._execute(_run, connection, operation, parameters))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            driver = self._connection
            self._keep(await driver._execute(_run_many, driver._conn, operation, seq_of_parameters))


class StatementConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's connection adapter with `StatementCursor`, write turns (`sqlite_turns`), and
    no hop to end no transaction."""

    __slots__ = ("_turn", "_writing")
    _cursor_cls = StatementCursor

    def __init__(self, dbapi: StatementDBAPI, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._writing = False
        self._turn: WriteTurn | None = None

    def writing(self) -> bool:
        """Whether this connection's write transaction is open (it holds SQLite's lock)."""
        connection = self._connection._connection
        return self._writing and connection is not None and connection.in_transaction

    async def begin_write(self) -> None:
        """``BEGIN IMMEDIATE`` in this engine's write turn: at once on the loop's thread when
        no other process holds the lock, else on the connection's thread, which waits for it
        in SQLite's busy handler."""
        dbapi = self.dbapi
        assert isinstance(dbapi, StatementDBAPI)
        turn = self._turn = dbapi.turns.here()
        await turn.take(self, dbapi.busy_timeout_ms / 1000)
        try:
            connection = self._connection._conn
            if not _begin_now(connection, dbapi.busy_timeout_ms):
                await self._connection._execute(_run, connection, _BEGIN_WRITE, None)
        except BaseException:
            self._end_turn()
            raise
        self._writing = True

    def _end_turn(self) -> None:
        self._writing = False
        if self._turn is not None:
            self._turn.give_back(self)
            self._turn = None

    def _in_transaction(self) -> bool:
        connection = self._connection._connection
        # A closed connection goes the usual way (and fails the usual way).
        return connection is None or connection.in_transaction

    def rollback(self) -> None:
        try:
            if self._in_transaction():
                super().rollback()
        finally:
            self._end_turn()

    def commit(self) -> None:
        try:
            if self._in_transaction():
                super().commit()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()

    def terminate(self) -> None:
        # SQLAlchemy's way out for a connection after a cancellation or a disconnect.
        try:
            super().terminate()
        finally:
            self._end_turn()


def _begin_now(connection: sqlite3.Connection, busy_timeout_ms: int) -> bool:
    """``BEGIN IMMEDIATE`` without waiting; False if another process holds the lock."""
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute(_BEGIN_WRITE)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise
        return False
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return True


class StatementDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module SQLAlchemy's aiosqlite dialect is given (``module=``): one an engine,
    holding its write turns."""

    def __init__(self, aiosqlite: Any, sqlite: Any, busy_timeout_ms: int) -> None:
        super().__init__(aiosqlite, sqlite)
        self.busy_timeout_ms = busy_timeout_ms
        self.turns = WriteTurns()

    def connect(self, *arg: Any, **kw: Any) -> Any:
        adapted = super().connect(*arg, **kw)
        return StatementConnection(self, adapted._connection)


def statement_dbapi(busy_timeout_ms: int) -> StatementDBAPI:
    """A driver for one engine whose connections wait `busy_timeout_ms` for another process."""
    import aiosqlite

    return StatementDBAPI(aiosqlite, sqlite3, busy_timeout_ms)
