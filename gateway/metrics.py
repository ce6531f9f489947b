"""Prometheus metrics of the gateway, on a registry of its own (served at ``/metrics``).

Counters and histograms are updated where things happen: `observe_request` by the HTTP faces,
`gateway.upstream_metrics.InstrumentedProvider` around each provider adapter, `CACHE_REQUESTS`
by the cache, the webhook dispatcher for deliveries, `MARGIN_BREACHES` by placement. Gauges that
describe state (circuit breakers, orders by state, deliveries by state) are read when scraped,
by `exposition`, so they are never stale.

::

    observe_request("/api/v2", "POST", 200, elapsed)
    body = await exposition(gateway)

The core imports this module, never the reverse: `exposition` reads any `Observed` (the
gateway core is one), so metrics know the store, the health board and the providers only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import String, case, cast, func, select

from gateway.health import BreakerState, HealthBoard
from gateway.orders.polled import OVERCHARGED
from gateway.quality_metrics import quality_families
from gateway.store import GatewayState, Store
from gateway.store.tables import orders
from providers.base import Provider

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "smmgw_http_requests_total", "HTTP requests by route, method and status.",
    ["route", "method", "status"], registry=REGISTRY,
)  # fmt: skip
HTTP_LATENCY = Histogram(
    "smmgw_http_request_duration_seconds", "HTTP request latency by route.",
    ["route", "method"], registry=REGISTRY,
)  # fmt: skip
CACHE_REQUESTS = Counter(
    "smmgw_cache_requests_total", "Cache lookups by result (hit or miss).", ["result"],
    registry=REGISTRY,
)  # fmt: skip
WEBHOOK_ATTEMPTS = Counter(
    "smmgw_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered, retry, gone, gave_up, refused).",
    ["outcome"], registry=REGISTRY,
)  # fmt: skip
RATE_LIMITED = Counter(
    "smmgw_rate_limited_total", "Requests refused by the per-key rate limit, by API.", ["api"],
    registry=REGISTRY,
)  # fmt: skip
MARGIN_BREACHES = Counter(
    "smmgw_margin_breaches_total",
    "Orders refused because the account's price would break its minimum margin, by account.",
    ["account"], registry=REGISTRY,
)  # fmt: skip


_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
"""The labelled series of each (route, method, status), looked up once (``labels`` locks)."""


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one HTTP request; `route` is the route's template, never the raw path."""
    key = (route, method, status)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        if len(_REQUEST_SERIES) >= 1024:  # routes and methods are few; never let it grow
            _REQUEST_SERIES.clear()
        series = (
            HTTP_REQUESTS.labels(route, method, str(status)),
            HTTP_LATENCY.labels(route, method),
        )
        _REQUEST_SERIES[key] = series
    series[0].inc()
    series[1].observe(seconds)


class Observed(Protocol):
    """What the state gauges read: the gateway core has all three."""

    @property
    def store(self) -> Store: ...

    @property
    def health(self) -> HealthBoard: ...

    @property
    def providers(self) -> Mapping[str, Provider]: ...


class _Snapshot(Collector):
    """Gauges read once per scrape (collectors cannot await, so the values come ready)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def _order_counts(gw: Observed) -> Mapping[str, int]:
    # Diagnostics read the ledger through the engine directly: one GROUP BY, no row objects.
    query = select(orders.c.state, func.count()).group_by(orders.c.state)
    async with gw.store.engine.connect() as conn:
        return {state: count for state, count in (await conn.execute(query)).all()}


UNCONFIRMED_AGES = ("<1h", "1h-24h", ">24h")
"""The `age` labels of ``smmgw_unconfirmed_orders``: how long ago the order was received."""


async def _unconfirmed_ages(gw: Observed, now: datetime) -> dict[str, int]:
    # One row from the (state, next_poll_at) index: a sum per age band, no row objects.
    created = orders.c.created_at
    bands = (created > now - timedelta(hours=1), created > now - timedelta(days=1))
    query = select(
        func.count(),
        func.coalesce(func.sum(case((bands[0], 1), else_=0)), 0),
        func.coalesce(func.sum(case((bands[1], 1), else_=0)), 0),
    ).where(orders.c.state == GatewayState.UNCONFIRMED.value)
    async with gw.store.engine.connect() as conn:
        total, hour, day = (int(n) for n in (await conn.execute(query)).one())
    return dict(zip(UNCONFIRMED_AGES, (hour, day - hour, total - day), strict=True))


async def _overcharged(gw: Observed) -> Metric:
    # Counted in the ledger, so every instance and worker agrees and a restart loses nothing;
    # the flag is never taken off an order, which keeps the count a counter.
    flagged = cast(orders.c.flags, String).like(f'%"{OVERCHARGED}"%')
    query = (
        select(orders.c.provider, func.count())
        .where(orders.c.flags.is_not(None), flagged)
        .group_by(orders.c.provider)
    )
    family = CounterMetricFamily(
        "smmgw_overcharged_orders", "Orders charged above their quoted provider cost.",
        labels=["provider"],
    )  # fmt: skip
    async with gw.store.engine.connect() as conn:
        for provider, count in sorted((await conn.execute(query)).all()):
            family.add_metric([provider or ""], count)
    return family


async def state_families(gw: Observed, now: datetime | None = None) -> list[Metric]:
    """Circuit states per provider, orders by state, webhook deliveries by state, unconfirmed
    orders by age (at `now`, default the current time)."""
    circuits = GaugeMetricFamily(
        "smmgw_provider_circuit_state", "1 for the state each provider's breaker is in.",
        labels=["provider", "state"],
    )  # fmt: skip
    for name in gw.providers:
        current = gw.health.state(name)
        for state in BreakerState:
            circuits.add_metric([name, state.value], 1.0 if state is current else 0.0)
    by_state = GaugeMetricFamily("smmgw_orders", "Orders in the ledger by state.", labels=["state"])
    for order_state, count in sorted((await _order_counts(gw)).items()):
        by_state.add_metric([order_state], count)
    deliveries = GaugeMetricFamily(
        "smmgw_webhook_deliveries", "Webhook deliveries by state.", labels=["state"]
    )
    for delivery_state, count in (await gw.store.webhook_delivery_counts()).items():
        deliveries.add_metric([delivery_state], count)
    unconfirmed = GaugeMetricFamily(
        "smmgw_unconfirmed_orders",
        "Open UNCONFIRMED orders (placement outcome unknown: resolve them) by age.",
        labels=["age"],
    )
    ages = await _unconfirmed_ages(gw, now or datetime.now(UTC))
    for age, count in ages.items():
        unconfirmed.add_metric([age], count)
    return [circuits, by_state, deliveries, unconfirmed, await _overcharged(gw)]


async def exposition(gw: Observed | None) -> bytes:
    """The Prometheus text of every metric, with the state gauges of `gw` read now."""
    body = generate_latest(REGISTRY)
    if gw is not None:
        families = await state_families(gw)
        # Test doubles of `Observed` may have no quality book.
        if (quality := getattr(gw, "quality", None)) is not None:
            families += await quality_families(quality)
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Snapshot(families))
        body += generate_latest(scrape)
    return body
