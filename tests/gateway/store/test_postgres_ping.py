"""Pooled PostgreSQL connections are checked before use only after lying idle
(`gateway.store.engine._ping_when_idle`): one that a restart or a proxy dropped meanwhile is
replaced before a transaction uses it, and one used a moment ago costs no round trip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from gateway.store import engine as engines

from ...databases import unavailable


@pytest.fixture
def postgres_url(postgres_database: str | None) -> str:
    if postgres_database is None:
        unavailable("PostgreSQL")
    return postgres_database


def engine_idle_after(monkeypatch: pytest.MonkeyPatch, url: str, seconds: float) -> AsyncEngine:
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", seconds)
    return engines.create_engine(url, pool_size=1, max_overflow=0)


def count_pings(monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine) -> list[str]:
    """What each ping found: "alive", or "gone" (it failed or raised)."""
    pings: list[str] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        try:
            alive = ping(dbapi_connection)
        except Exception:
            pings.append("gone")
            raise
        pings.append("alive" if alive else "gone")
        return alive

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


async def terminate_others(url: str, pid: int) -> None:
    admin = create_async_engine(url, poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            assert await conn.scalar(text(f"SELECT pg_terminate_backend({pid})")) is True
    finally:
        await admin.dispose()


@pytest.fixture
async def disposing() -> AsyncIterator[list[AsyncEngine]]:
    engines_made: list[AsyncEngine] = []
    yield engines_made
    for made in engines_made:
        await made.dispose()


async def test_an_idle_connection_that_was_dropped_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str, disposing: list[AsyncEngine]
) -> None:
    engine = engine_idle_after(monkeypatch, postgres_url, 0.0)  # every checkout counts as idle
    disposing.append(engine)
    pings = count_pings(monkeypatch, engine)
    async with engine.connect() as conn:
        first = await conn.scalar(text("SELECT pg_backend_pid()"))
    await terminate_others(postgres_url, first)
    async with engine.begin() as conn:  # the dead connection is found out and replaced
        second = await conn.scalar(text("SELECT pg_backend_pid()"))
    assert second != first
    assert pings == ["alive", "gone", "alive"]


async def test_a_connection_used_a_moment_ago_is_not_pinged(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str, disposing: list[AsyncEngine]
) -> None:
    engine = engine_idle_after(monkeypatch, postgres_url, 3600.0)
    disposing.append(engine)
    pings = count_pings(monkeypatch, engine)
    backends = set()
    for _ in range(5):
        async with engine.begin() as conn:
            backends.add(await conn.scalar(text("SELECT pg_backend_pid()")))
    assert pings == []
    assert len(backends) == 1  # the one pooled connection, used five times


async def test_a_connection_idle_past_the_bound_is_pinged_once_a_checkout(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str, disposing: list[AsyncEngine]
) -> None:
    engine = engine_idle_after(monkeypatch, postgres_url, 0.0)
    disposing.append(engine)
    pings = count_pings(monkeypatch, engine)
    for _ in range(3):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    assert pings == ["alive", "alive", "alive"]
