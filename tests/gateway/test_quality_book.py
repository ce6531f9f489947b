"""Reading quality: every process sees the same sums through the shared cache, each keeps them
briefly in process, and /metrics gets a gauge per figure and provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from prometheus_client.core import Metric

from gateway.cache import MemoryCache, RedisCache
from gateway.quality import QualityBook
from gateway.quality_metrics import FIGURES, quality_families
from gateway.store import Store
from providers.models import OrderState
from tests.gateway.test_quality import Clock, Ledger


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(database_url: str, clock: Clock) -> AsyncIterator[Store]:
    async with await Store.connect(database_url, clock=clock) as opened:
        yield opened


@pytest.fixture
async def ledger(store: Store, clock: Clock) -> Ledger:
    return await Ledger.open(store, clock)


async def test_books_of_two_processes_agree_through_the_shared_cache(
    ledger: Ledger, store: Store, clock: Clock, redis_url: str, namespace: str
) -> None:
    await ledger.finish(OrderState.COMPLETED, start=None, end=60)
    ticks = Ticks()
    async with (
        RedisCache(redis_url, namespace=namespace) as one_cache,
        RedisCache(redis_url, namespace=namespace) as two_cache,
    ):
        one = QualityBook(store, one_cache, min_sample=1, clock=clock, monotonic=ticks)
        two = QualityBook(store, two_cache, min_sample=1, clock=clock, monotonic=ticks)
        assert (await one.providers())["alpha"].orders == 1
        await ledger.finish(OrderState.CANCELED, start=None, end=60, remains=1000)
        # The other process reads what the first one shared, not a figure of its own.
        assert (await two.providers())["alpha"].orders == 1
        fresh = (await one.providers(fresh=True))["alpha"]
        assert (fresh.orders, fresh.cancel_rate.value) == (2, Decimal("0.5"))
        # Within its in-process lifetime a book answers from memory; then from the cache.
        assert (await two.providers())["alpha"].orders == 1
        ticks.now += 5
        assert (await two.providers())["alpha"].orders == 2


async def test_a_book_without_orders_reports_no_provider(store: Store, clock: Clock) -> None:
    report = await QualityBook(store, MemoryCache(), clock=clock).report()
    assert (report.providers, report.services) == ({}, {})
    with pytest.raises(ValueError, match="days and min_sample"):
        QualityBook(store, MemoryCache(), days=0)


def _values(families: list[Metric]) -> dict[tuple[str, tuple[str, ...]], float]:
    return {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in families
        for sample in family.samples
    }


async def test_metrics_show_each_figure_per_provider_and_leave_out_small_samples(
    ledger: Ledger, store: Store, clock: Clock
) -> None:
    for _ in range(2):
        await ledger.finish(OrderState.COMPLETED, start=60, end=3600)
    await ledger.finish(OrderState.PARTIAL, start=60, end=3600, remains=500, provider="beta")
    book = QualityBook(store, MemoryCache(), min_sample=2, clock=clock)
    values = _values(await quality_families(book))
    assert values[("smmgw_provider_completion_rate", ("alpha",))] == 1.0
    assert values[("smmgw_provider_delivered_fraction", ("alpha",))] == 1.0
    assert values[("smmgw_provider_start_seconds", ("alpha",))] == 60.0
    assert values[("smmgw_provider_complete_seconds_per_1000", ("alpha",))] == 3600.0
    assert ("smmgw_provider_refill_success_rate", ("alpha",)) not in values
    # Beta's one order is below the minimum: its sample is shown, no figure is.
    assert ("smmgw_provider_completion_rate", ("beta",)) not in values
    assert values[("smmgw_provider_quality_sample", ("beta", "completion_rate"))] == 1
    assert values[("smmgw_provider_quality_sample", ("alpha", "refill_success_rate"))] == 0
    names = {name for name, _ in values}
    assert names == {f"smmgw_provider_{f}" for f in FIGURES} - {
        "smmgw_provider_refill_success_rate"
    } | {"smmgw_provider_quality_sample"}
