from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.store import Store


async def test_outbox_rows_commit_with_the_change_they_describe(store: Store) -> None:
    async def write_then_fail() -> None:
        async with store.transaction() as tx:
            await store.create_order(client_id="acme", request={"service": "1"}, tx=tx)
            await store.add_outbox(tx, "evt-0", "order.created", {"id": 1})
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert await store.pending_outbox() == []

    async with store.transaction() as tx:
        row = await store.create_order(client_id="acme", request={"service": "1"}, tx=tx)
        assert await store.add_outbox(tx, "evt-1", "order.created", {"id": row.id})
        assert not await store.add_outbox(tx, "evt-1", "order.created", {"id": -1})
        await store.add_outbox(tx, "evt-2", "order.updated", {"charge": Decimal("0.1")})
    pending = await store.pending_outbox()
    assert [(e.event_id, e.type, e.payload) for e in pending] == [
        ("evt-1", "order.created", {"id": row.id}),
        ("evt-2", "order.updated", {"charge": "0.1"}),
    ]


async def test_published_events_leave_the_queue(store: Store) -> None:
    async with store.transaction() as tx:
        for i in range(3):
            await store.add_outbox(tx, f"evt-{i}", "t", {})
    first, second, third = await store.pending_outbox()
    await store.mark_published([first.id, third.id])
    assert [e.event_id for e in await store.pending_outbox()] == [second.event_id]
    assert [e.event_id for e in await store.pending_outbox(limit=0)] == []
