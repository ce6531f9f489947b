"""The live catalog: fetches every provider's services and serves merged snapshots.

Each provider's list is kept in the shared cache, so every instance builds the same snapshot
without asking the panels; a sync bumps the catalog's version, and instances rebuild when they
see a new one. A provider that fails or times out keeps its previous list: one bad panel never
blocks or empties the others.

With the shared cache unreachable no instance can announce a sync, so the version last seen
holds (plus this process's own syncs): the snapshot stays put instead of being rebuilt on every
check. When each provider's list was last fetched is kept beside it in the cache, so routing can
leave out a provider whose prices are several refreshes old.

When each provider was last synced is also read from the ledger (``catalog_syncs``), at most once
per catalog version and per ``SYNCS_FRESH`` of the injected clock: a sync made in this process is
seen at once (it bumps the version and is kept in memory), one made by another process within a
second (at once when the shared cache announces its version).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from gateway.cache import Cache
from gateway.catalog import OfferKey, Snapshot, assemble, plan_groups
from gateway.classify import Classification, classify
from gateway.config import GroupSection
from gateway.store import PriceChange, PriceChangeKind, Store
from gateway.store.base import Clock, utcnow
from gateway.store.catalog import ListedRates
from providers.base import Provider
from providers.errors import ProviderError
from providers.models import Service

log = logging.getLogger(__name__)

SERVICES_TTL = 7 * 24 * 3600.0
"""How long a provider's list stays cached without a sync: a week, as stale beats empty."""

SYNCS_FRESH = timedelta(seconds=1)
"""How long the ledger's sync times, once read, are trusted within one catalog version (by the
injected clock): the bound on seeing another process's sync that no version change announced."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """How one provider's sync went."""

    provider: str
    ok: bool
    services: int
    seconds: float
    error: str | None = None
    added: int = 0
    changed: int = 0
    removed: int = 0


@lru_cache(maxsize=65_536)
def _classify(name: str, category: str, raw_type: str, refill: bool) -> Classification:
    return classify(name, category, raw_type, refill_flag=refill)


def listed_rates(services: Iterable[Service]) -> ListedRates:
    """What a list of one provider says each service costs: id -> (rate, currency)."""
    return {s.id: (s.rate.amount, s.rate.currency) for s in services}


def price_changes(
    provider: str,
    before: Mapping[str, tuple[Decimal, str]],
    after: Sequence[Service],
    at: datetime,
) -> list[PriceChange]:
    """What changed between what a provider listed before (`before`, as `listed_rates` gives
    it) and its list now: services added, re-priced, removed."""
    new = {s.id: s for s in after}
    changes = []
    for sid, service in new.items():
        previous = before.get(sid)
        if previous is None:
            kind, old_rate = PriceChangeKind.ADDED, None
        elif previous[0] != service.rate.amount:
            kind, old_rate = PriceChangeKind.CHANGED, previous[0]
        else:
            continue
        rate = service.rate
        changes.append(PriceChange(provider, sid, kind, old_rate, rate.amount, rate.currency, at))
    for sid, (rate_before, currency) in before.items():
        if sid not in new:
            changes.append(
                PriceChange(provider, sid, PriceChangeKind.REMOVED, rate_before, None, currency, at)
            )
    return changes


class Catalog:
    """Syncs providers and serves the merged catalog.

    ::

        catalog = Catalog(providers, store, cache, base_currency="USD", to_base=rates.get)
        await catalog.sync()
        snapshot = await catalog.snapshot()
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        store: Store,
        cache: Cache,
        *,
        base_currency: str,
        to_base: Callable[[str], Decimal],
        groups: Sequence[GroupSection] = (),
        sync_timeout: float = 60.0,
        version_check: float = 1.0,
        clock: Clock = utcnow,
    ) -> None:
        self.providers = providers
        self.store = store
        self.cache = cache
        self.base_currency = base_currency.upper()
        self._to_base = to_base
        self._groups = groups
        self._sync_timeout = sync_timeout
        self._version_check = version_check
        self._lists: dict[str, list[Service]] = {}
        self._snapshot: Snapshot | None = None
        self._version: str | None = None
        self._shared_version = "?"
        """The shared cache's catalog version last seen ("?" before any)."""
        self._own_syncs = 0
        self._checked_at = 0.0
        self._building = asyncio.Lock()
        self._clock = clock
        self._synced: dict[str, datetime] = {}
        self._syncs_read: tuple[str | None, datetime] | None = None
        """(catalog version, clock time) of the last ``catalog_syncs`` read (None: none yet)."""
        self._reading_syncs = asyncio.Lock()
        self.last_sync: dict[str, SyncResult] = {}

    @property
    def version(self) -> str | None:
        """The version of the snapshot served now (None before the first)."""
        return self._version

    # -- sync ----------------------------------------------------------------------------------

    async def sync(self, names: Iterable[str] | None = None) -> list[SyncResult]:
        """Fetch the services of `names` (default: every provider) concurrently."""
        chosen = list(self.providers if names is None else names)
        results = await asyncio.gather(*(self._sync_one(name) for name in chosen))
        if any(r.ok for r in results):
            await self.cache.bump("catalog")
            # Counted here too: with the cache down the bump is lost, yet this process must
            # still serve what it just fetched.
            self._own_syncs += 1
            self._checked_at = 0.0
        self.last_sync.update({r.provider: r for r in results})
        return list(results)

    async def _sync_one(self, name: str) -> SyncResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._sync_timeout):
                services = await self.providers[name].services()
        except (ProviderError, TimeoutError) as exc:
            error = str(exc) or f"no answer within {self._sync_timeout:g}s"
            log.warning("catalog sync of %s failed: %s", name, error)
            return SyncResult(name, False, 0, time.perf_counter() - started, error=error)
        now = self._clock()

        async def before() -> ListedRates | None:
            cached = await self._cached_list(name)
            return None if cached is None else listed_rates(cached)

        # The comparison with the last list and its record are one transaction in the ledger,
        # so gateways fetching the same new list at once record each change once.
        recorded = await self.store.record_listing(
            name, now, listed_rates(services),
            lambda previous: price_changes(name, previous, services, now), before,
        )  # fmt: skip
        changes = recorded or []
        removed = [c.provider_service_id for c in changes if c.kind is PriceChangeKind.REMOVED]
        if removed:
            await self.store.mark_services_removed(name, removed, now)
        self._lists[name] = services
        await self.cache.set_model(f"catalog:services:{name}", services, SERVICES_TTL)
        self._synced[name] = now
        await self.cache.set_model(f"catalog:synced:{name}", now, SERVICES_TTL)

        def count(kind: PriceChangeKind) -> int:
            return sum(1 for c in changes if c.kind is kind)

        return SyncResult(
            name, True, len(services), time.perf_counter() - started,
            added=count(PriceChangeKind.ADDED), changed=count(PriceChangeKind.CHANGED),
            removed=len(removed),
        )  # fmt: skip

    async def _cached_list(self, name: str) -> list[Service] | None:
        cached = await self.cache.get_model(f"catalog:services:{name}", list[Service])
        return cached if cached is not None else self._lists.get(name)

    async def synced_at(self) -> dict[str, datetime | None]:
        """When each provider's services were last fetched by any instance (None: unknown).

        From the ledger, which every process shares even while Redis is away (a gateway beside
        separate workers never syncs itself, and would otherwise see every catalog go stale).
        Read again on a new catalog version or once ``SYNCS_FRESH`` has passed; this process's
        own syncs are kept in memory as they happen.
        """
        await self.snapshot()
        if not self._syncs_fresh():
            async with self._reading_syncs:  # one read for every caller that found them old
                if not self._syncs_fresh():
                    version, read_at = self._version, self._clock()
                    for name, at in (await self.store.catalog_syncs()).items():
                        if name in self.providers and (
                            name not in self._synced or at > self._synced[name]
                        ):
                            self._synced[name] = at
                    self._syncs_read = (version, read_at)
        return {name: self._synced.get(name) for name in self.providers}

    def _syncs_fresh(self) -> bool:
        read = self._syncs_read
        if read is None or read[0] != self._version:
            return False
        # A clock that went back counts as expired, not as fresh for longer.
        return read[1] <= self._clock() < read[1] + SYNCS_FRESH

    async def _read_synced(self) -> None:
        names = list(self.providers)
        keys = [f"catalog:synced:{name}" for name in names]
        for name, at in zip(names, await self.cache.get_many_models(keys, datetime), strict=True):
            if at is not None and (name not in self._synced or at > self._synced[name]):
                self._synced[name] = at

    async def _current_version(self) -> str:
        shared = await self.cache.version("catalog")
        if shared is not None:
            self._shared_version = shared
        return f"{self._shared_version}+{self._own_syncs}"

    # -- snapshots -----------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        """The current merged catalog; rebuilt only when a sync (anywhere) changed it."""
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < self._version_check:
            return self._snapshot
        version = await self._current_version()
        if self._snapshot is not None and version == self._version:
            self._checked_at = now
            return self._snapshot
        async with self._building:
            if self._snapshot is None or version != self._version:
                self._snapshot = await self._build()
                self._version = version
            self._checked_at = time.monotonic()
            return self._snapshot

    async def _build(self) -> Snapshot:
        lists: dict[str, list[Service]] = {}
        missing = []
        for name in self.providers:
            cached = await self._cached_list(name)
            if cached is None:
                missing.append(name)
            else:
                lists[name] = cached
        if missing:
            await self.sync(missing)
            lists.update({n: self._lists[n] for n in missing if n in self._lists})
        await self._read_synced()
        services: dict[OfferKey, Service] = {
            (name, s.id): s for name, items in lists.items() for s in items
        }
        classes = {
            key: _classify(s.name, s.category, s.raw_type, s.refill) for key, s in services.items()
        }
        plans = plan_groups({k: (s, classes[k]) for k, s in services.items()}, self._groups)
        offer_ids = await self.store.service_ids(list(services))
        group_ids = await self.store.group_ids({p.key: p.name for p in plans})
        currencies = {s.rate.currency for s in services.values()}
        to_base = {c: self._to_base(c) for c in currencies}
        return assemble(services, classes, plans, offer_ids, group_ids, to_base, self.base_currency)
