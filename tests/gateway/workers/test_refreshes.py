"""Catalog and balance refresh: price changes and low balances announced once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway import events
from gateway.config import Settings
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.store import PriceChange, PriceChangeKind
from gateway.workers import BalanceRefresh, CatalogRefresh, standard_jobs
from gateway.workers.broadcast import LocalBroadcast
from tests.gateway.panels import Trio, open_gateway
from tests.gateway.workers.helpers import outbox_ids


async def test_price_changes_are_announced_once(gw: Gateway) -> None:
    refresh = CatalogRefresh(gw.catalog, gw.store)
    results = await refresh.run("alpha")
    assert [r.provider for r in results] == ["alpha"]
    assert await outbox_ids(gw.store) == [], "a first sync changes no price"
    at = datetime.now(UTC)
    await gw.store.record_price_changes(
        [
            PriceChange(
                "alpha", "7", PriceChangeKind.CHANGED, Decimal("1.5"), Decimal("2"), "USD", at
            )
        ]
    )
    await refresh.run("alpha")
    await refresh.run("alpha")
    await refresh.announce(at - timedelta(minutes=1))
    [row] = await gw.store.pending_outbox(10)
    assert row.type == events.SERVICE_PRICE_CHANGED
    assert row.payload["data"]["new_rate"] == "2"


async def test_a_low_balance_is_announced_once_per_episode(settings: Settings, trio: Trio) -> None:
    sections = [p.model_copy(update={"balance_low": Decimal(100)}) for p in settings.providers]
    low = settings.model_copy(update={"providers": sections})
    async with open_gateway(low, trio) as gw:
        refresh = BalanceRefresh(gw.balances, gw.store, gw.cache)
        alpha = trio.sims["alpha"]
        alpha.panel.set_account(alpha.key or "", Decimal(10))
        await refresh.run()
        await refresh.run()
        assert len(await outbox_ids(gw.store)) == 1
        alpha.panel.set_account(alpha.key or "", Decimal(10_000))
        await refresh.run()
        alpha.panel.set_account(alpha.key or "", Decimal(5))
        trio.advance(1)
        await refresh.run()
        rows = await gw.store.pending_outbox(10)
        assert [r.type for r in rows] == [events.PROVIDER_BALANCE_LOW] * 2
        assert {r.payload["data"]["provider"] for r in rows} == {"alpha"}


async def test_a_low_balance_seen_by_two_gateways_at_once_is_announced_once(
    settings: Settings, trio: Trio
) -> None:
    """Gateways of a fleet refresh balances on the same schedule (every one started at the
    same moment, say): their episodes are decided one at a time, so one event per episode."""
    sections = [p.model_copy(update={"balance_low": Decimal(100)}) for p in settings.providers]
    low = settings.model_copy(update={"providers": sections})
    async with open_gateway(low, trio) as a, open_gateway(low, trio) as b:
        alpha = trio.sims["alpha"]
        alpha.panel.set_account(alpha.key or "", Decimal(10))
        refreshes = [BalanceRefresh(gw.balances, gw.store, gw.cache) for gw in (a, b, a, b)]
        await asyncio.gather(*(r.run() for r in refreshes))
        rows = await a.store.pending_outbox(10)
        assert [r.type for r in rows] == [events.PROVIDER_BALANCE_LOW]


async def test_standard_jobs_cover_every_provider(gw: Gateway) -> None:
    jobs = {j.name: j for j in standard_jobs(gw, LocalBroadcast(EventBus()))}
    assert set(jobs) >= {
        "status_sync",
        "refill_sync",
        "catalog_refresh",
        "balance_refresh",
        "outbox",
    }
    assert jobs["status_sync"].partitions == tuple(gw.providers)
    assert [k for k, _ in jobs["outbox"].runs()] == ["outbox"]
