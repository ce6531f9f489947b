"""PostgreSQL round trips: checkouts pinged with one, reads and one-statement writes sent with no
BEGIN or COMMIT around them; and a connection the server dropped
never carries the next statement (`gateway.store.engine`)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text

from gateway.store import Store
from providers.models import OrderRequest

REQUEST = OrderRequest(service="7", link="https://instagram.com/x", quantity=1000)
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def spy_on(monkeypatch: pytest.MonkeyPatch, *names: str) -> list[str]:
    """The queries asyncpg's `names` methods are called with from now on (they still run)."""
    calls: list[str] = []
    for name in names:
        original = getattr(asyncpg.Connection, name)

        def spy(self: Any, query: str, *args: Any, _o: Any = original, **kw: Any) -> Any:
            calls.append(query)
            return _o(self, query, *args, **kw)

        monkeypatch.setattr(asyncpg.Connection, name, spy)
    return calls


async def _pids(store: Store, count: int) -> set[int]:
    """The server process of each of `count` connections held at once (all pooled after)."""
    held = [await store.engine.connect() for _ in range(count)]
    try:
        return {await c.scalar(text("SELECT pg_backend_pid()")) for c in held}
    finally:
        for c in held:
            await c.close()


async def _terminate(database_url: str, pids: set[int]) -> None:
    """Drop `pids` from the server's side, as a restart or a failover would: each call waits
    (up to 10 s) until its backend has exited, and with it closed its socket."""
    terminate = text("SELECT pg_terminate_backend(:p, 10000)")
    async with await Store.connect(database_url) as admin, admin.engine.connect() as conn:
        for pid in pids:
            assert await conn.scalar(terminate, {"p": pid})


async def test_a_dropped_connection_never_carries_the_next_write(database_url: str) -> None:
    async with await Store.connect(database_url, pool_size=3) as store:
        pooled = await _pids(store, 3)
        await _terminate(database_url, pooled)
        # Every pooled connection is dead; each write gets a live one, and none fails.
        rows = await asyncio.gather(
            *(store.create_order(client_id="acme", request=REQUEST) for _ in range(3))
        )
        assert len({r.id for r in rows}) == 3
        listed = [o.id for o in await store.list_orders()]
        assert listed == sorted((r.id for r in rows), reverse=True)
        assert not (await _pids(store, 3)) & pooled


async def test_a_checkout_is_pinged_in_one_round_trip(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Store.connect(database_url) as store:
        async with store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # pooled, no longer fresh
        calls = spy_on(monkeypatch, "execute", "fetchrow", "fetch", "fetchval")
        async with store.engine.connect():
            pass
        assert calls == [";"]  # no BEGIN, no ROLLBACK around it


async def test_a_read_outside_a_transaction_sends_no_begin_or_rollback(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Store.connect(database_url) as store:
        row = await store.create_order(client_id="acme", request=REQUEST)
        sent = spy_on(monkeypatch, "execute")
        assert await store.get_order(row.id) == row
        assert sent == []
        await store.update_order(row.id, event_kind="note", error="x")
        # Writes are transactions as before.
        assert sent[0].startswith("BEGIN")
        assert sent[-1].startswith("COMMIT")


async def test_a_write_of_one_statement_is_its_own_transaction(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mark_sent` (one UPDATE) sends no BEGIN or COMMIT, and another connection sees it at
    once; inside the caller's transaction it is part of that transaction, as before."""
    async with (
        await Store.connect(database_url) as store,
        await Store.connect(database_url) as other,
    ):
        row = await store.create_order(client_id="acme", request=REQUEST)
        sent = spy_on(monkeypatch, "execute")
        marked = await store.mark_sent(row.id, row.version)
        assert sent == []
        assert (await other.get_order(row.id)).sent_at == marked.sent_at is not None

        again = await store.create_order(client_id="acme", request=REQUEST)

        async def marked_then_failed() -> None:
            async with store.transaction() as tx:
                await store.mark_sent(again.id, again.version, tx=tx)
                raise RuntimeError("abort")

        with pytest.raises(RuntimeError):
            await marked_then_failed()
        assert (await other.get_order(again.id)).sent_at is None
