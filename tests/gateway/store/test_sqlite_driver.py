"""The ledger's SQLite driver (`gateway.store.sqlite_driver`): one thread hop a statement, the
statements of a write transaction on the loop's thread, and everything SQLAlchemy reads of a
cursor the same as through aiosqlite's own adapter."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.store import engine as engines
from gateway.store.engine import READ_ONLY, create_engine
from gateway.store.sqlite_driver import StatementDBAPI

things = Table(
    "things",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")

    @event.listens_for(engine.sync_engine, "connect")
    def _thread_function(dbapi_connection: Any, _record: Any) -> None:
        # What thread a statement runs on, asked of SQLite itself.
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    async with engine.begin() as conn:
        await conn.run_sync(things.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def hops() -> Iterator[Counter[str]]:
    """Calls sent to a connection's thread, by function name."""
    counted: Counter[str] = Counter()
    original: Any = aiosqlite.core.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counted[getattr(fn, "__name__", repr(fn))] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counting  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        aiosqlite.core.Connection._execute = original  # type: ignore[method-assign]


async def test_what_sqlalchemy_reads_of_a_statement_is_the_same(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(insert(things).values(name="a"))
        assert inserted.inserted_primary_key == (1,)
        returned = await conn.execute(insert(things).values(name="b").returning(things.c.id))
        assert returned.scalar_one() == 2
        many = await conn.execute(insert(things), [{"name": "c"}, {"name": "d"}, {"name": "e"}])
        assert many.rowcount == 3
        changed = await conn.execute(update(things).where(things.c.id > 3).values(name=None))
        assert changed.rowcount == 2
        none = await conn.execute(update(things).where(things.c.id > 99).values(name="x"))
        assert none.rowcount == 0
    async with engine.connect() as conn:
        rows = (await conn.execute(select(things).order_by(things.c.id))).all()
        assert [tuple(row) for row in rows] == [(1, "a"), (2, "b"), (3, "c"), (4, None), (5, None)]
        assert list((await conn.execute(select(things.c.name).where(things.c.id == 1))).keys()) == [
            "name"
        ]
        assert (await conn.execute(select(things).where(things.c.id == 42))).first() is None


async def test_an_error_is_sqlalchemys_and_the_transaction_rolls_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(things).values(name="taken"))

    async def both() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(name="kept only if committed"))
            await conn.execute(insert(things).values(name="taken"))

    with pytest.raises(IntegrityError) as raised:
        await both()
    assert isinstance(raised.value.orig, sqlite3.IntegrityError)
    async with engine.connect() as conn:
        names = (await conn.execute(select(things.c.name))).scalars().all()
    assert names == ["taken"]
    # The connection that failed is usable again, in the thread and on the loop.
    async with engine.begin() as conn:
        await conn.execute(insert(things).values(name="after"))
    async with engine.connect() as conn:
        assert await conn.scalar(select(things.c.id).where(things.c.name == "after")) is not None


async def test_a_write_transaction_runs_its_statements_on_the_loop_thread(
    engine: AsyncEngine,
) -> None:
    loop_thread = threading.get_ident()
    async with engine.begin() as conn:  # BEGIN IMMEDIATE: the write lock is held
        inside = await conn.scalar(text("SELECT thread_id()"))
    reader = engine.execution_options(**{READ_ONLY: True})
    async with reader.connect() as conn:  # a deferred BEGIN: a read may wait on the disk
        reading = await conn.scalar(text("SELECT thread_id()"))
    assert inside == loop_thread
    assert reading != loop_thread


async def test_statements_and_empty_resets_make_no_extra_hops(
    engine: AsyncEngine, hops: Counter[str]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(things).values(name="one"))
        await conn.execute(insert(things).values(name="two").returning(things.c.id))
        await conn.execute(update(things).values(name="three").where(things.c.name == "two"))
    # With no other process holding the lock, BEGIN IMMEDIATE and the statements after it run
    # on the loop's thread; COMMIT (the disk's sync) goes to the connection's, and the pool's
    # rollback of a connection whose transaction ended is not sent at all.
    assert hops == Counter({"commit": 1})
    hops.clear()
    async with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        await conn.execute(select(things).where(things.c.id == 1))
        await conn.execute(select(things.c.name))
    # A reader's deferred BEGIN and each of its statements are one hop (the cursor opened,
    # executed, read and closed in one call), and its read transaction is rolled back.
    assert hops == Counter({"_run": 3, "rollback": 1})


async def test_the_loop_goes_on_while_a_writer_waits_for_the_lock(
    engine: AsyncEngine, tmp_path: Path, hops: Counter[str]
) -> None:
    other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0
    waiting = asyncio.Event()

    async def writer() -> None:
        waiting.set()
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(name="after the lock"))

    task = asyncio.create_task(writer())
    await waiting.wait()
    while ticks < 20:  # the loop runs while the writer's BEGIN waits on its thread
        await asyncio.sleep(0.01)
        ticks += 1
    assert not task.done()
    assert hops["_run"] == 1  # BEGIN IMMEDIATE, sent to the thread to wait for the lock
    other.execute("COMMIT")
    other.close()
    await task
    async with engine.connect() as conn:
        assert await conn.scalar(select(things.c.name)) == "after the lock"


async def test_concurrent_write_transactions_each_count_once(engine: AsyncEngine) -> None:
    await bump_concurrently(engine)


@contextlib.asynccontextmanager
async def waiting_at_most(
    milliseconds: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncEngine]:
    """An engine on a new file whose busy timeout is `milliseconds`, with `things` made."""
    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT_MS", milliseconds)
    engine = engines.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'waiting.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(things.metadata.create_all)
        yield engine
    finally:
        await engine.dispose()


async def test_writers_of_one_engine_take_turns_without_the_busy_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No busy timeout at all: two of this engine's connections asking SQLite for the lock at
    # once would fail with "database is locked"; in turn, none does.
    async with waiting_at_most(0, tmp_path, monkeypatch) as engine:
        await bump_concurrently(engine)


async def bump_concurrently(engine: AsyncEngine) -> None:
    """60 write transactions at once, each reading a counter, yielding, and writing it."""
    counter = Table("counter", MetaData(), Column("n", Integer))
    async with engine.begin() as conn:
        await conn.run_sync(counter.metadata.create_all)
        await conn.execute(insert(counter).values(n=0))

    async def bump(number: int) -> None:
        async with engine.begin() as conn:
            current = int(await conn.scalar(select(counter.c.n)) or 0)
            await asyncio.sleep(0)  # another task runs between the read and the write
            await conn.execute(update(counter).values(n=current + 1))
            await conn.execute(insert(things).values(name=f"thing {number}"))

    await asyncio.gather(*(bump(number) for number in range(60)))
    async with engine.connect() as conn:
        assert await conn.scalar(select(counter.c.n)) == 60
        assert len((await conn.execute(select(things.c.id))).all()) == 60


async def test_a_second_write_inside_a_first_fails_as_sqlite_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store call that forgot its `tx=` asks for the lock its own transaction holds: it gets
    # "database is locked" after the busy timeout, as SQLite's handler would give it.
    async with waiting_at_most(300, tmp_path, monkeypatch) as engine:

        async def nested() -> None:
            async with engine.begin() as outer:
                await outer.execute(insert(things).values(name="outer"))
                async with engine.begin() as inner:
                    await inner.execute(insert(things).values(name="inner"))

        with pytest.raises(OperationalError, match="database is locked"):
            await asyncio.wait_for(nested(), 30)
        async with engine.begin() as conn:  # the turn and the lock are free again
            await conn.execute(insert(things).values(name="after"))
            assert (await conn.execute(select(things.c.name))).scalars().all() == ["after"]


async def test_a_writer_cancelled_on_the_thread_gives_its_turn_back(engine: AsyncEngine) -> None:
    started = asyncio.Event()

    async def slow_write() -> None:
        async with engine.begin() as conn:
            started.set()
            # executemany goes to the connection's thread: cancelled while it runs there.
            await conn.execute(insert(things), [{"name": f"n{n}"} for n in range(20_000)])

    task = asyncio.create_task(slow_write())
    await started.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    dbapi = engine.dialect.loaded_dbapi
    assert isinstance(dbapi, StatementDBAPI)
    assert not dbapi.turns.here().taken()  # given back by SQLAlchemy's terminate
    async with engine.begin() as conn:
        await conn.execute(insert(things).values(name="next"))
    async with engine.connect() as conn:
        assert await conn.scalar(select(things.c.name).where(things.c.name == "next")) == "next"


async def test_fetchmany_reads_in_the_cursors_arraysize(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(things), [{"name": f"n{n}"} for n in range(5)])
    async with engine.connect() as conn:
        result = await conn.execute(select(things.c.name).order_by(things.c.id))
        assert result.fetchmany() == [("n0",)]
        assert result.fetchmany(3) == [("n1",), ("n2",), ("n3",)]
        assert [tuple(row) for row in result.fetchall()] == [("n4",)]
