"""Provider quality over a sliding window of days, from the daily buckets the ledger keeps.

Figures per provider and per (provider, service): completion rate, partial rate, delivered
fraction (units delivered over units ordered), cancel/refund rate, failure rate, mean time to
start, mean time to complete per 1,000 units, refill success rate, and the share of its quotes
a provider charges in the end (below 1 when it refunds partials). Each comes with its sample
size, and is ``None`` below `min_sample`: no figure is claimed from too few orders.

A reading is a few rows (one per provider service that had orders in the window), cached in
this process for `local_ttl` seconds and in the gateway's shared cache for `ttl`, so every
process reads the same sums (``gateway.quality_backfill`` rebuilds the buckets)::

    book = QualityBook(store, cache, days=30, min_sample=20)
    quality = (await book.providers())["rizvi"]
    quality.completion_rate.value, quality.completion_rate.sample   # Decimal('0.9'), 240
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from gateway.cache import Cache
from gateway.store import Store
from gateway.store.base import Clock, utcnow
from gateway.store.engine import reader
from gateway.store.quality import ServiceTotals, window_sums
from gateway.store.quality_counts import Counts

DAYS = 30
MIN_SAMPLE = 20
_THOUSAND = Decimal(1000)


@dataclass(frozen=True, slots=True)
class Figure:
    """One measure and the number of orders (or refills) it was measured on; `value` is
    ``None`` when that sample is below the minimum."""

    value: Decimal | None
    sample: int


_NO_FIGURE = Figure(None, 0)
"""Every figure of a history without orders (frozen, so one is shared)."""


def _ratio(
    part: int, whole: int, sample: int, min_sample: int, scale: Decimal = Decimal(1)
) -> Figure:
    if sample < min_sample or whole <= 0:
        return Figure(None, sample)
    return Figure(Decimal(part) / Decimal(whole) / scale, sample)


@dataclass(frozen=True, slots=True)
class Quality:
    """A provider's (`service` ``None``) or a provider service's figures over `days` days."""

    provider: str
    service: str | None
    days: int
    orders: int
    """Orders finished in the window (accepted by the provider, then final)."""
    completion_rate: Figure
    partial_rate: Figure
    delivered_fraction: Figure
    """Units delivered / units ordered, over finished orders whose delivery is known."""
    cancel_rate: Figure
    """Canceled or refunded / finished."""
    failure_rate: Figure
    """Orders the provider refused (``FAILED``) / all it was sent that ended."""
    start_seconds: Figure
    """Mean seconds from sending to the first status showing progress."""
    complete_seconds_per_1000: Figure
    """Mean seconds from sending to completion per 1,000 units, over completed orders."""
    refill_success_rate: Figure
    """Refills completed / refills ended."""
    refills_requested: int
    charge_fraction: Figure
    """Final charges / quoted provider costs, over finished orders whose charge is known: 1
    for a panel that keeps what it quoted, below 1 for one that refunds what it did not
    deliver."""

    @classmethod
    def of(
        cls, provider: str, service: str | None, counts: Counts, *, days: int, min_sample: int
    ) -> Quality:
        """The figures of `counts`, a window's sums."""
        c, least = counts, min_sample
        sent = c.finished + c.failed
        return cls(
            provider=provider,
            service=service,
            days=days,
            orders=c.finished,
            completion_rate=_ratio(c.completed, c.finished, c.finished, least),
            partial_rate=_ratio(c.partial, c.finished, c.finished, least),
            delivered_fraction=_ratio(c.units_delivered, c.units_ordered, c.units_orders, least),
            cancel_rate=_ratio(c.canceled, c.finished, c.finished, least),
            failure_rate=_ratio(c.failed, sent, sent, least),
            start_seconds=_ratio(c.start_ms, c.starts, c.starts, least, _THOUSAND),
            complete_seconds_per_1000=_ratio(
                c.complete_ms_per_k, c.completes, c.completes, least, _THOUSAND
            ),
            refill_success_rate=_ratio(
                c.refills_completed, c.refills_finished, c.refills_finished, least
            ),
            refills_requested=c.refills_requested,
            charge_fraction=_ratio(c.charged_micros, c.cost_micros, c.charges, least),
        )


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Every provider's and every provider service's quality, read at once."""

    providers: dict[str, Quality]
    """Providers with orders or refills in the window."""
    services: dict[tuple[str, str], Quality]
    days: int = DAYS
    min_sample: int = MIN_SAMPLE

    def provider(self, name: str) -> Quality:
        """`name`'s figures; a provider without history gets every figure ``None``, sample 0."""
        return self.providers.get(name) or self._none(name, None)

    def service(self, provider: str, service_id: str) -> Quality:
        """A provider service's figures; all ``None`` (sample 0) without history."""
        return self.services.get((provider, service_id)) or self._none(provider, service_id)

    def _none(self, provider: str, service: str | None) -> Quality:
        # What `Quality.of` makes of empty counts, whatever the minimum sample.
        n = _NO_FIGURE
        return Quality(
            provider, service, self.days, 0,
            completion_rate=n, partial_rate=n, delivered_fraction=n, cancel_rate=n,
            failure_rate=n, start_seconds=n, complete_seconds_per_1000=n,
            refill_success_rate=n, refills_requested=0, charge_fraction=n,
        )  # fmt: skip


def report(
    totals: Iterable[ServiceTotals], *, days: int = DAYS, min_sample: int = MIN_SAMPLE
) -> QualityReport:
    """The figures of a window's per-service sums, and of each provider's (their total)."""
    by_provider: dict[str, Counts] = {}
    services: dict[tuple[str, str], Quality] = {}
    for each in totals:
        by_provider[each.provider] = by_provider.get(each.provider, Counts()) + each.counts
        services[(each.provider, each.service)] = Quality.of(
            each.provider, each.service, each.counts, days=days, min_sample=min_sample
        )
    providers = {
        name: Quality.of(name, None, counts, days=days, min_sample=min_sample)
        for name, counts in sorted(by_provider.items())
    }
    return QualityReport(providers, services, days, min_sample)


class QualityBook:
    """Reads quality from the store's buckets, cached here and in the shared cache.

    `days`: the window (today, UTC, and the days before it); `min_sample`: the fewest orders
    (or refills) a figure is claimed from; `ttl`: seconds a reading is shared through `cache`;
    `local_ttl`: seconds this process keeps it without asking the cache.
    """

    def __init__(
        self,
        store: Store,
        cache: Cache,
        *,
        days: int = DAYS,
        min_sample: int = MIN_SAMPLE,
        ttl: float = 60.0,
        local_ttl: float = 5.0,
        clock: Clock = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if days < 1 or min_sample < 1:
            raise ValueError(f"days and min_sample must be >= 1, got {days} and {min_sample}")
        self.store = store
        self.cache = cache
        self.days = days
        self.min_sample = min_sample
        self._ttl = ttl
        self._local_ttl = local_ttl
        self._clock = clock
        self._monotonic = monotonic
        self._local: tuple[float, str, list[ServiceTotals]] | None = None

    def first_day(self, now: datetime | None = None) -> date:
        """The oldest day inside the window at `now` (default: the clock's now)."""
        return (now or self._clock()).astimezone(UTC).date() - timedelta(days=self.days - 1)

    async def totals(self, *, fresh: bool = False) -> list[ServiceTotals]:
        """Each provider service's sums over the window; `fresh` reads the buckets now (and
        shares what it read)."""
        first = self.first_day()
        key = f"quality:sums:{self.days}:{first.isoformat()}"
        now = self._monotonic()
        if not fresh and self._local is not None:
            until, local_key, value = self._local
            if local_key == key and now < until:
                return value
        if fresh:
            value = await self._read(first)
            await self.cache.set_model(key, value, self._ttl)
        else:
            value = await self.cache.get_or_compute_model(
                key, list[ServiceTotals], lambda: self._read(first), ttl=self._ttl
            )
        self._local = (now + self._local_ttl, key, value)
        return value

    async def report(self, *, fresh: bool = False) -> QualityReport:
        """Every provider's and provider service's figures over the window."""
        totals = await self.totals(fresh=fresh)
        return report(totals, days=self.days, min_sample=self.min_sample)

    async def providers(self, *, fresh: bool = False) -> dict[str, Quality]:
        """Each provider's figures, by provider name (providers without orders are absent)."""
        return (await self.report(fresh=fresh)).providers

    async def services(self, *, fresh: bool = False) -> dict[tuple[str, str], Quality]:
        """Each provider service's figures, by (provider, provider service id)."""
        return (await self.report(fresh=fresh)).services

    async def _read(self, first: date) -> list[ServiceTotals]:
        async with reader(self.store.engine).connect() as conn:
            return await window_sums(conn, first)
