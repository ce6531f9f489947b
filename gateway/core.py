"""The gateway core assembled from configuration: the one object the APIs, workers and CLI use.

::

    async with await Gateway.open(load_config("gateway.toml")) as gw:
        quote = await gw.quote(service_id=12, fields={"link": url, "quantity": 1000})
        order = await gw.place("client-1", 12, {"link": url, "quantity": 1000},
                               idempotency_key="abc")
        [outcome] = await gw.orders.status([order.id], "client-1")
        balances = await gw.balances.fetch()
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

from gateway import fleet_limits
from gateway.accounts.pricing import ClientPrice
from gateway.balances import BalanceBook
from gateway.cache import Cache, cache_from_url
from gateway.catalog_sync import Catalog
from gateway.config import Settings, provider_configs
from gateway.currencies import CurrencyWatch
from gateway.health import HealthBoard
from gateway.orders import Orders
from gateway.orders.split_quote import Placing
from gateway.policies import PolicySettings
from gateway.quality import QualityBook
from gateway.router import Router
from gateway.routing import Need, ProviderState, Quote
from gateway.store import OrderRow, Store
from gateway.store.base import Clock, utcnow
from gateway.store.rows import AccountRow
from gateway.upstream_metrics import InstrumentedProvider
from providers.base import Provider
from providers.registry import build


class Gateway:
    """Configuration, ledger, cache, catalog, routing, orders and balances, wired together."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        cache: Cache,
        providers: Mapping[str, Provider],
        *,
        health: HealthBoard | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache
        self.quality = QualityBook(
            store, cache, days=settings.quality.days, min_sample=settings.quality.min_sample
        )
        self.router = router_of(settings)
        self.providers = dict(providers)
        self.health = health or HealthBoard()
        base = settings.gateway.base_currency.upper()
        self.base_currency = base
        sections = {p.name: p for p in settings.providers}
        self._priority = {name: s.priority for name, s in sections.items()}
        self._clock = clock
        self._fleet_limits: fleet_limits.FleetLimitsFactory | None = None
        catalog = settings.catalog
        self._stale_after = timedelta(
            seconds=catalog.refresh_seconds * catalog.stale_after_refreshes
        )
        self.currencies = CurrencyWatch(cache, {name: s.currency for name, s in sections.items()})
        self.catalog = Catalog(
            self.providers,
            store,
            cache,
            base_currency=base,
            to_base=settings.rate_to_base,
            groups=settings.catalog.groups,
            clock=clock,
        )
        self.balances = BalanceBook(
            self.providers,
            cache,
            base_currency=base,
            to_base=settings.rate_to_base,
            low_thresholds={name: s.balance_low for name, s in sections.items()},
        )
        self.orders = Orders(
            store,
            self.providers,
            self.health,
            provider_states=self.provider_states,
            base_currency=base,
            fresh_for=timedelta(seconds=settings.orders.fresh_seconds),
            quality=self.quality,
            router=self.router,
        )

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        providers: Mapping[str, Provider] | None = None,
        clock: Clock = utcnow,
    ) -> Gateway:
        """Connect the store (migrating it), the cache, and build every enabled provider.

        Every provider call is timed and counted for ``/metrics``.
        """
        if providers is None:
            providers = {c.name: build(c) for c in provider_configs(settings)}
        providers = {name: InstrumentedProvider(p, name) for name, p in providers.items()}
        try:
            store = await Store.connect(
                settings.gateway.database_url,
                pool_size=settings.gateway.pool_size,
                max_overflow=settings.gateway.max_overflow,
            )
        except BaseException:
            for provider in providers.values():
                await provider.aclose()
            raise
        try:
            await store.migrate()
        except BaseException:
            await store.aclose()
            for provider in providers.values():
                await provider.aclose()
            raise
        cache = cache_from_url(settings.gateway.redis_url, settings.gateway.cache_namespace)
        gateway = cls(settings, store, cache, providers, clock=clock)
        # Provider rate and calls in flight counted across every process (Redis), if any.
        gateway._fleet_limits = fleet_limits.install(gateway.providers, settings)
        return gateway

    async def aclose(self) -> None:
        await self.orders.aclose()
        for provider in self.providers.values():
            await provider.aclose()
        if self._fleet_limits is not None:
            await self._fleet_limits.aclose()
        await self.cache.aclose()
        await self.store.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def provider_states(self) -> dict[str, ProviderState]:
        """What routing knows of each provider now: health, known balance, priority, whether it
        reports its configured currency, and whether its catalog is recent enough to trust.

        Health, balances and currencies are read on every call. The last sync times come from
        `Catalog.synced_at`: a sync made in this process counts at once, one made by another
        process once the shared cache announces it, or within ``SYNCS_FRESH`` (a second) of the
        gateway's clock without it."""
        known = await self.balances.known()
        mismatched = await self.currencies.mismatches(known)
        synced = await self.catalog.synced_at()
        now = self._clock()
        states = {}
        for name in self.providers:
            at = synced.get(name)
            stale = None
            if at is not None and now - at > self._stale_after:
                stale = f"last synced {at.isoformat(timespec='seconds')}"
            mismatch = mismatched.get(name)
            states[name] = ProviderState(
                enabled=True,
                available=self.health.available(name),
                balance=known.get(name),
                priority=self._priority.get(name, 0),
                currency_mismatch=None if mismatch is None else mismatch.detail,
                catalog_stale=stale,
            )
        return states

    async def quote(
        self,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
        *,
        policy: str | None = None,
        key_id: int | None = None,
    ) -> Quote:
        """The ranked candidates under `policy` (else the key's, the group's or the
        configuration's routing policy), each with its quality estimate and reason."""
        snapshot = await self.catalog.snapshot()
        return await self.orders.quote(
            snapshot, service_id, fields, needs, policy=policy, key_id=key_id
        )

    async def quote_for(
        self,
        account: AccountRow,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
        *,
        policy: str | None = None,
        key_id: int | None = None,
    ) -> tuple[Quote, ClientPrice | None]:
        """The quote and client price as `account` sees them (`Orders.quote_for`)."""
        snapshot = await self.catalog.snapshot()
        return await self.orders.quote_for(
            account, snapshot, service_id, fields, needs, policy=policy, key_id=key_id
        )

    async def placing(
        self,
        decision: Quote,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
        *,
        policy: str | None = None,
        key_id: int | None = None,
        account: AccountRow | None = None,
    ) -> Placing:
        """How placing the quoted order would go: a split's parts and their price, or
        placement's refusal (`Orders.placing`)."""
        snapshot = await self.catalog.snapshot()
        return await self.orders.placing(
            snapshot, decision, fields, needs, policy=policy, key_id=key_id, account=account
        )

    async def place(
        self,
        client_id: str,
        service_id: int,
        fields: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        needs: frozenset[Need] = frozenset(),
        account: AccountRow | None = None,
        policy: str | None = None,
        key_id: int | None = None,
        split: bool = False,
    ) -> OrderRow:
        """Place an order (`Orders.place`); `policy` is the request's routing policy, `key_id`
        the calling key (its policy applies when the request names none); `split` asks for the
        quantity to be shared over several providers (`gateway.orders.split`)."""
        snapshot = await self.catalog.snapshot()
        return await self.orders.place(
            snapshot, client_id, service_id, fields,
            idempotency_key=idempotency_key, needs=needs, account=account,
            policy=policy, key_id=key_id, split=split,
        )  # fmt: skip


def router_of(settings: Settings) -> Router:
    """The routing policies as `settings` configure them (``[routing]``, group policies)."""
    routing = settings.routing
    groups: dict[str, str] = {name: p.value for name, p in routing.groups.items()}
    for section in settings.catalog.groups:
        if section.routing_policy is not None:
            groups[section.name] = section.routing_policy.value
    return Router(
        PolicySettings(
            time_price_per_hour=routing.time_price_per_hour,
            fastest_ceiling_percent=routing.fastest_ceiling_percent,
        ),
        default=routing.policy,
        groups=groups,
        exploration_share=routing.exploration_share,
        seed=routing.exploration_seed,
    )
