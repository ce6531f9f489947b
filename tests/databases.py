"""Real databases for tests: a SQLite file and the PostgreSQL server on 127.0.0.1:5432.

PostgreSQL is reached with ``SMMGW_TEST_POSTGRES_URL`` (an admin URL of any database there;
default ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``). Each test session creates its
own database under a random name and drops it at the end, so parallel runs never share state;
each test starts from empty tables. Without a reachable server the PostgreSQL cases are skipped
locally, naming the URL tried, and fail under CI (``CI`` set), where the server must be there.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gateway.store import Store
from gateway.store.tables import metadata

POSTGRES_ADMIN_URL = os.environ.get(
    "SMMGW_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


def unavailable(what: str) -> NoReturn:
    """Skip locally; under CI a missing service is a failure, never a silent skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI")
    pytest.skip(what)


async def _admin(sql: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, DBAPIError):
        return False
    return True


def _postgres_url(database: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(False)


async def _create_database() -> str:
    name = f"smmgw_test_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return _postgres_url(name)


async def _drop_database(url: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


async def _migrate(url: str) -> None:
    async with await Store.connect(url) as store:
        await store.migrate()


@pytest.fixture(scope="session")
def postgres_database(postgres_available: bool) -> Iterator[str | None]:
    """A database of this session's own, migrated once; each test empties it (much faster
    than creating a database per test)."""
    if not postgres_available:
        yield None
        return
    url = asyncio.run(_create_database())
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_drop_database(url))


async def _empty(url: str) -> None:
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, postgres_available: bool) -> str:
    if request.param == "postgresql" and not postgres_available:
        unavailable(f"no PostgreSQL at {make_url(POSTGRES_ADMIN_URL)!r}")
    return str(request.param)


@pytest.fixture
async def empty_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database, never migrated."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    url = await _create_database()
    try:
        yield url
    finally:
        await _drop_database(url)


@pytest.fixture
async def database_url(backend: str, tmp_path: Path, postgres_database: str | None) -> str:
    """The URL of a migrated database with no rows, the one `store` uses."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
        await _migrate(url)
        return url
    assert postgres_database is not None
    await _empty(postgres_database)
    return postgres_database
