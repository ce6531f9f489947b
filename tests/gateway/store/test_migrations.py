from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from gateway.store import Store
from gateway.store.engine import READ_ONLY
from gateway.store.migrate import alembic_config
from gateway.store.tables import metadata

TABLES = {
    "orders",
    "order_events",
    "refills",
    "idempotency_keys",
    "catalog_services",
    "catalog_groups",
    "price_changes",
    "api_keys",
    "webhook_endpoints",
    "outbox",
    "webhook_deliveries",
    "instances",
    "catalog_syncs",
    "accounts",
    "account_movements",
    "account_entries",
    "provider_quality",
}


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrate_creates_every_table_on_an_empty_database(empty_database_url: str) -> None:
    async with await Store.connect(empty_database_url) as store:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        await store.migrate()
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_tables) == TABLES | {"alembic_version"}
            assert await conn.run_sync(_revision) == _head()


async def test_migrate_twice_is_a_no_op(store: Store) -> None:
    row = await store.create_order(client_id="c", request={"service": "1"})
    await store.migrate()
    assert await store.get_order(row.id) == row


async def test_concurrent_migrations_from_two_processes_agree(empty_database_url: str) -> None:
    url = empty_database_url
    async with await Store.connect(url) as one, await Store.connect(url) as two:
        await asyncio.gather(one.migrate(), two.migrate())
        async with one.engine.connect() as conn:
            assert await conn.run_sync(_revision) == _head()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, metadata))


async def test_migrations_build_exactly_the_declared_tables(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_durable_commits(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    # Two connections at once (readers, so neither waits for the other's write lock): every
    # new connection of the pool is tuned, not only the first.
    readers = store.engine.execution_options(**{READ_ONLY: True})
    async with readers.connect() as conn, readers.connect() as other:
        for each in (conn, other):
            assert (await each.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await each.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            # FULL (2): a commit is on disk before it returns, even across a power loss.
            assert (await each.execute(text("PRAGMA synchronous"))).scalar() == 2


async def test_alembic_env_runs_standalone_without_an_ini_file(database_url: str) -> None:
    # env.py's own async engine: asyncio.run inside, so off the test's event loop.
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
    async with await Store.connect(database_url) as store, store.engine.connect() as conn:
        assert await conn.run_sync(_revision) == _head()
        assert await conn.run_sync(_tables) >= TABLES


def test_offline_mode_renders_sql(capsys: pytest.CaptureFixture[str]) -> None:
    command.upgrade(alembic_config("postgresql+asyncpg://u@h/db"), "head", sql=True)
    script = capsys.readouterr().out
    assert "CREATE TABLE orders" in script
    assert "NUMERIC(24, 10)" in script
    assert "TIMESTAMP WITH TIME ZONE" in script
