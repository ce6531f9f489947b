"""The store's claims: due orders leased to one claimant, outbox rows held by one drain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy.pool import QueuePool

from gateway.store import Store
from providers.models import OrderState
from tests.gateway.workers.helpers import eventually, insert_orders


async def test_concurrent_claims_are_disjoint(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        ids = await insert_orders(store, "alpha", [str(i) for i in range(500)], next_poll_at=now)
        claims = await asyncio.gather(
            *(
                store.claim_due_orders(now=now, lease=timedelta(minutes=1), limit=60)
                for _ in range(12)
            )
        )
        claimed = [row.id for rows in claims for row in rows]
        assert len(claimed) == len(set(claimed)) == 500
        assert sorted(claimed) == sorted(ids)
        assert await store.claim_due_orders(now=now, lease=timedelta(minutes=1)) == []


async def test_a_lease_runs_out_and_the_order_is_due_again(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        [order_id] = await insert_orders(store, "alpha", ["1"], next_poll_at=now)
        lease = timedelta(seconds=30)
        [row] = await store.claim_due_orders(now=now, lease=lease)
        assert row.next_poll_at == now + lease
        assert row.version == 1, "a claim is not a change of the order"
        assert await store.claim_due_orders(now=now + lease / 2, lease=lease) == []
        [again] = await store.claim_due_orders(now=now + lease, lease=lease)
        assert again.id == order_id


async def test_only_open_placed_orders_of_the_provider_are_claimed(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        [wanted] = await insert_orders(store, "alpha", ["1"], next_poll_at=now)
        await insert_orders(store, "alpha", ["2"], next_poll_at=now, state=OrderState.COMPLETED)
        await insert_orders(store, "beta", ["3"], next_poll_at=now)
        await insert_orders(store, "alpha", ["4"], next_poll_at=now + timedelta(minutes=5))
        await store.create_order(client_id="c", request={}, provider="alpha", next_poll_at=now)
        rows = await store.claim_due_orders(now=now, lease=timedelta(minutes=1), provider="alpha")
        assert [r.id for r in rows] == [wanted]


async def test_reschedule_ends_a_claim(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        first, second = await insert_orders(store, "alpha", ["1", "2"], next_poll_at=now)
        await store.claim_due_orders(now=now, lease=timedelta(hours=1))
        await store.reschedule_orders({first: now, second: None})
        rows = await store.claim_due_orders(now=now, lease=timedelta(hours=1))
        assert [r.id for r in rows] == [first]


async def test_an_outbox_claim_excludes_other_drains_until_it_ends(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        async with store.transaction() as tx:
            for n in range(3):
                await store.add_outbox(tx, f"evt_{n}", "order.updated", {"n": n})
        second_saw: list[int] = []
        holding = asyncio.Event()

        async def second() -> None:
            await holding.wait()
            async with store.claim_outbox(10) as (tx, rows):
                second_saw.append(len(rows))
                await store.mark_published((r.id for r in rows), tx=tx)

        task = asyncio.create_task(second())
        async with store.claim_outbox(10) as (tx, rows):
            assert len(rows) == 3
            holding.set()
            # The other drain's claim is under way while these rows are held: on PostgreSQL it
            # skips the locked rows and ends at once; on SQLite it waits for the write lock.
            if store.engine.dialect.name == "postgresql":
                await eventually(task.done)
            else:
                pool = cast(QueuePool, store.engine.pool)
                await eventually(lambda: pool.checkedout() == 2)
            await store.mark_published((r.id for r in rows), tx=tx)
        await task
        assert second_saw == [0], "the other drain got nothing: every row was published once"
