"""Catalog refresh: each provider's services re-fetched on a schedule, price changes announced.

`Catalog.sync` records the changes in the price history; this job turns each recorded change
into one ``service.price_changed`` event. It announces every change of the last `look_back`,
not only its own: an event's id is the change's id, so a change announced before is skipped by
the outbox, and a change whose run died before announcing it is announced by the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway import events
from gateway.catalog_sync import Catalog, SyncResult
from gateway.events import Event
from gateway.store import PriceChange, Store
from gateway.store.base import Clock, utcnow


def price_event(change: PriceChange) -> Event:
    """``service.price_changed`` for one recorded change (added, changed or removed)."""
    return Event(
        id=f"evt_price_{change.id}",
        type=events.SERVICE_PRICE_CHANGED,
        created_at=change.at,
        data={
            "provider": change.provider,
            "provider_service_id": change.provider_service_id,
            "kind": str(change.kind),
            "old_rate": None if change.old_rate is None else f"{change.old_rate:f}",
            "new_rate": None if change.new_rate is None else f"{change.new_rate:f}",
            "currency": change.currency,
        },
    )


class CatalogRefresh:
    """Syncs one provider's catalog (or all) and announces the price changes it recorded."""

    def __init__(
        self,
        catalog: Catalog,
        store: Store,
        *,
        look_back: timedelta = timedelta(hours=1),
        clock: Clock = utcnow,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.look_back = look_back
        self._clock = clock

    async def run(self, provider: str | None = None) -> list[SyncResult]:
        since = self._clock() - self.look_back
        results = await self.catalog.sync(None if provider is None else [provider])
        await self.announce(since, provider)
        return results

    async def refresh_if_older(self, provider: str, than: datetime) -> bool:
        """Re-sync `provider` unless its catalog was fetched after `than`; whether it did.

        The status sync calls this when an order created at `than` was charged above its quote:
        a catalog fetched since already has the new price, and asking again would be a waste.
        """
        synced = (await self.catalog.synced_at()).get(provider)
        if synced is not None and synced >= than:
            return False
        await self.run(provider)
        return True

    async def announce(self, since: datetime, provider: str | None = None) -> int:
        """Queue an event for every price change recorded from `since` on; returns how many."""
        count = 0
        after: int | None = None
        while changes := await self.store.price_changes(since=since, after_id=after, limit=500):
            after = changes[-1].id
            mine = [c for c in changes if provider is None or c.provider == provider]
            async with self.store.transaction() as tx:
                await events.record(self.store, tx, [price_event(c) for c in mine])
            count += len(mine)
        return count
