from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from gateway.store import Store
from gateway.store.tables import catalog_services

from .conftest import FakeClock


async def test_service_ids_are_created_once_and_kept(store: Store) -> None:
    first = await store.service_ids([("a", "1"), ("a", "2"), ("b", "1")])
    assert len(set(first.values())) == 3
    again = await store.service_ids([("b", "1"), ("a", "3"), ("a", "1"), ("a", "1")])
    assert again[("b", "1")] == first[("b", "1")]
    assert again[("a", "1")] == first[("a", "1")]
    assert again[("a", "3")] not in first.values()
    assert await store.service_ids([]) == {}


async def test_ids_survive_a_reconnect(store: Store, database_url: str) -> None:
    services = await store.service_ids([("a", str(i)) for i in range(1200)])
    groups = await store.group_ids({"ig-followers": "Instagram Followers", "tt-likes": "Likes"})
    await store.aclose()
    async with await Store.connect(database_url) as reopened:
        await reopened.migrate()
        assert await reopened.service_ids(list(services)) == services
        assert await reopened.group_ids({"tt-likes": "renamed", "ig-followers": "x"}) == groups


async def test_concurrent_syncs_agree_on_ids(store: Store, database_url: str) -> None:
    pairs = [("a", str(i)) for i in range(300)]
    async with await Store.connect(database_url) as other:
        results = await asyncio.gather(
            store.service_ids(pairs),
            other.service_ids(list(reversed(pairs))),
            store.service_ids(pairs[::2]),
        )
    assert results[0] == results[1]
    assert len(set(results[0].values())) == 300
    assert results[2] == {p: results[0][p] for p in pairs[::2]}


async def test_removed_services_keep_their_id_and_come_back(store: Store, clock: FakeClock) -> None:
    ids = await store.service_ids([("a", "1"), ("a", "2")])
    gone_at = clock.advance(hours=1)
    await store.mark_services_removed("a", ["2", "missing"], gone_at)
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(catalog_services.c.provider_service_id, catalog_services.c.removed_at).order_by(
                catalog_services.c.provider_service_id
            )
        )
        assert [tuple(r) for r in rows] == [("1", None), ("2", gone_at)]
    clock.advance(hours=1)
    assert await store.service_ids([("a", "2")]) == {("a", "2"): ids[("a", "2")]}
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(catalog_services.c.removed_at, catalog_services.c.last_seen).where(
                catalog_services.c.provider_service_id == "2"
            )
        )
        assert tuple(rows.one()) == (None, clock.now)
    assert clock.now - gone_at == timedelta(hours=1)


async def test_group_ids_are_stable(store: Store) -> None:
    first = await store.group_ids({"k1": "One", "k2": "Two"})
    second = await store.group_ids({"k2": "Two", "k3": "Three"})
    assert second["k2"] == first["k2"]
    assert second["k3"] not in first.values()
