"""Engines for the two supported backends, chosen by URL scheme.

SQLite is tuned for a small embedded ledger shared by several processes: WAL (readers never
wait for the writer), foreign keys on, a busy timeout instead of "database is locked",
``BEGIN IMMEDIATE`` for writes so two writers queue on the lock up front instead of failing
when a read transaction tries to become a write, and ``synchronous = FULL``: every commit is
on disk before it returns, so an OS crash or power loss cannot roll back the row of an order
whose ``add`` already left (``NORMAL`` in WAL mode may lose the last commits; ``bench/`` states
what FULL costs per order). The driver under it is aiosqlite's, with one thread hop a
statement and the statements of a write transaction run on the event loop's thread
(`gateway.store.sqlite_driver`).

On PostgreSQL every checkout from the pool is pinged first (a connection the server dropped, by
a restart or a failover, must never carry the next write), with one round trip: SQLAlchemy's
own pre-ping wraps its ping in ``BEGIN`` and ``ROLLBACK`` (for PgBouncer's transaction mode),
three round trips a checkout, two checkouts an order.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util.concurrency import await_

from gateway.store.sqlite_driver import statement_dbapi

SQLITE_BUSY_TIMEOUT_MS = 30_000
Synchronous = Literal["NORMAL", "FULL", "EXTRA"]
READ_ONLY = "smmgw_read_only"
"""Execution option that marks a connection as a reader (a deferred ``BEGIN`` on SQLite)."""


def reader(engine: AsyncEngine) -> AsyncEngine:
    """`engine` for reads outside any transaction of the caller's. On SQLite a deferred
    ``BEGIN`` (`READ_ONLY`). On PostgreSQL no transaction at all (`autocommit`): under
    ``READ COMMITTED`` every statement takes its own snapshot anyway, so wrapping reads in
    ``BEGIN`` and ``ROLLBACK`` changes nothing but costs two round trips a read."""
    return autocommit(engine) or engine.execution_options(**{READ_ONLY: True})


def autocommit(engine: AsyncEngine) -> AsyncEngine | None:
    """On PostgreSQL, `engine` with each statement a transaction of its own (``AUTOCOMMIT``),
    for reads and for a write of one statement, which is atomic and durable by itself and
    needs no ``BEGIN`` and ``COMMIT`` around it. None on SQLite, where every write takes the
    database's write lock up front (``BEGIN IMMEDIATE``)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return None


_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def database_url(url: str | URL) -> URL:
    """Normalise `url` to its async driver, or fail naming the supported schemes.

    >>> database_url("sqlite:///ledger.db").drivername
    'sqlite+aiosqlite'
    """
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        known = ", ".join(sorted(_DRIVERS))
        raise ValueError(f"unsupported database scheme {parsed.drivername!r}; known: {known}")
    if driver.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
        # Every pooled connection would get its own empty in-memory database.
        raise ValueError("the SQLite store needs a file path, e.g. sqlite+aiosqlite:///ledger.db")
    return parsed.set(drivername=driver)


def create_engine(
    url: str | URL, *, sqlite_synchronous: Synchronous = "FULL", **options: Any
) -> AsyncEngine:
    """An async engine for `url`, with the SQLite tuning above when it is SQLite.

    `sqlite_synchronous` exists for measuring what durability costs (``bench/``): the ledger
    itself always runs ``FULL``.
    """
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        options.setdefault("poolclass", AsyncAdaptedQueuePool)
        options.setdefault("module", statement_dbapi(SQLITE_BUSY_TIMEOUT_MS))
        # Statements of a write transaction run on the event loop's thread (see
        # `sqlite_driver`): the connection is used by one thread at a time, never by two.
        options["connect_args"] = {**options.get("connect_args", {}), "check_same_thread": False}
        engine = create_async_engine(parsed, **options)
        _tune_sqlite(engine, sqlite_synchronous)
        return engine
    engine = create_async_engine(parsed, **options)
    if not options.get("pool_pre_ping"):
        _ping_on_checkout(engine)
    return engine


_FRESH = "smmgw_fresh"


def _ping_on_checkout(engine: AsyncEngine) -> None:
    """Check every checkout of a pooled connection with one round trip (``;``), as
    ``pool_pre_ping`` would with three: a connection the server dropped a moment ago (a
    restart, a failover) must never carry the write that records a placed order. A failed
    ping invalidates the whole pool, as the pre-ping does (a restart dropped them all), and
    the pool connects anew; a connection just made is not pinged."""

    @event.listens_for(engine.sync_engine, "connect")
    def _made(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(
        _dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        if record.info.pop(_FRESH, False):
            return
        try:
            await_(record.driver_connection.fetchrow(";"))  # type: ignore[union-attr]
        except Exception as exc:
            raise InvalidatePoolError(f"the ping on checkout failed: {exc!r}") from exc


def _tune_sqlite(engine: AsyncEngine, synchronous: Synchronous) -> None:
    if synchronous not in ("NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the sqlite3 module (which skips it before SELECT) and emit it
        # ourselves below, so every transaction really is one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
