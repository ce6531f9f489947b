"""`Claims`: a provider's claimed orders handed to its lanes a batch at a time, the next claim
made as soon as a full one is used up, and what is claimed but not taken handed back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway.store import OrderRow, Store
from gateway.workers.sync_claims import Claims
from tests.gateway.workers.helpers import eventually, insert_orders

PAST = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with await Store.connect(database_url) as opened:
        yield opened


class Claimer:
    """Claims of up to `limit` due orders of one provider, counted."""

    def __init__(self, store: Store, provider: str, limit: int) -> None:
        self.store, self.provider, self.limit = store, provider, limit
        self.made = 0

    async def __call__(self) -> list[OrderRow]:
        self.made += 1
        return await self.store.claim_due_orders(
            now=datetime.now(UTC), lease=timedelta(minutes=2), limit=self.limit,
            provider=self.provider, instance="test",
        )  # fmt: skip


async def test_every_due_order_is_taken_once_and_the_next_claim_is_made_ahead(
    store: Store,
) -> None:
    ids = await insert_orders(store, "alpha", [f"a{n}" for n in range(9)], next_poll_at=PAST)
    claimer = Claimer(store, "alpha", limit=4)
    claims = Claims(claimer, batch=2, limit=4)
    taken = [await claims.take(), await claims.take()]
    # The second take used up a full claim: the next one starts before any lane asks for it.
    await eventually(lambda: claimer.made == 2)
    while rows := await claims.take():
        taken.append(rows)
    assert [len(rows) for rows in taken] == [2, 2, 2, 2, 1]
    assert sorted(row.id for rows in taken for row in rows) == ids
    assert claimer.made == 4  # 4, 4, then 1 (not full: nothing ahead), then the empty one
    assert await claims.take() == []  # another lane done: no claim after one found nothing
    assert claimer.made == 4
    assert await claims.close() == []


async def test_closing_hands_back_the_orders_claimed_ahead_and_not_taken(store: Store) -> None:
    ids = await insert_orders(store, "beta", [f"b{n}" for n in range(10)], next_poll_at=PAST)
    claimer = Claimer(store, "beta", limit=4)
    claims = Claims(claimer, batch=2, limit=4)
    first = await claims.take()
    rest = await claims.close()
    assert [row.id for row in first] == ids[:2]
    assert [row.id for row in rest] == ids[2:4]
    # A full claim used up: the next is made ahead, and closing waits for it and hands it back.
    second = Claims(Claimer(store, "beta", limit=4), batch=4, limit=4)
    assert [row.id for row in await second.take()] == ids[4:8]
    assert [row.id for row in await second.close()] == ids[8:10]
    assert await second.take() == []  # closed: no more claims
    third = Claims(Claimer(store, "beta", limit=4), batch=4, limit=4)
    assert await third.take() == []  # all ten are claimed
    assert await third.close() == []
