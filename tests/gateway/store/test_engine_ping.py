"""PostgreSQL connections are pinged on checkout only after sitting idle: a connection whose
server side went away while idle is replaced before use, unseen by the caller."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gateway.store import Store


async def backend_pid(store: Store) -> int:
    async with store.engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(url: str, pid: int) -> None:
    admin = create_async_engine(url, poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_an_idle_connection_whose_server_side_went_away_is_replaced(
    database_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no server to go away")
    # Idle for 0 s is idle enough: every reuse is pinged.
    async with await Store.connect(database_url, ping_after_idle=0, pool_size=1) as store:
        first = await backend_pid(store)
        await terminate(database_url, first)
        second = await backend_pid(store)
        assert second != first, "a new connection, without an error"
        assert await store.list_orders() == []
