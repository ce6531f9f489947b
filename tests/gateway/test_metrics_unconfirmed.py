"""``/metrics`` counts open UNCONFIRMED orders by age, read from the ledger at scrape time; the
metrics module stands below the core (no import cycle)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.core import Metric

from gateway.health import HealthBoard
from gateway.metrics import exposition, state_families
from gateway.store import GatewayState, Store
from providers.base import Provider
from providers.models import OrderState


@dataclass
class Clock:
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Ledger:
    """What the state gauges read, without providers: the ledger and an idle health board."""

    store: Store
    health: HealthBoard = field(default_factory=HealthBoard)
    providers: Mapping[str, Provider] = field(default_factory=dict)


@pytest.fixture
async def clocked(database_url: str) -> AsyncIterator[tuple[Store, Clock]]:
    clock = Clock()
    async with await Store.connect(database_url, clock=clock) as store:
        yield store, clock


async def received(store: Store, clock: Clock, at: datetime, state: str) -> None:
    clock.at = at
    request = {"service": "1", "link": "https://x.com/a", "quantity": 10}
    await store.create_order(client_id="c", request=request, state=state, provider="alpha")


def ages(families: list[Metric]) -> dict[str, float]:
    [family] = [f for f in families if f.name == "smmgw_unconfirmed_orders"]
    return {s.labels["age"]: s.value for s in family.samples}


async def test_unconfirmed_orders_are_counted_by_age(clocked: tuple[Store, Clock]) -> None:
    store, clock = clocked
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert ages(await state_families(Ledger(store), now)) == {"<1h": 0, "1h-24h": 0, ">24h": 0}
    for age in (timedelta(minutes=1), timedelta(minutes=59), timedelta(hours=2),
                timedelta(hours=23), timedelta(days=3)):  # fmt: skip
        await received(store, clock, now - age, GatewayState.UNCONFIRMED)
    await received(store, clock, now - timedelta(days=5), OrderState.PENDING)
    await received(store, clock, now - timedelta(minutes=5), GatewayState.FAILED)
    assert ages(await state_families(Ledger(store), now)) == {"<1h": 2, "1h-24h": 2, ">24h": 1}


async def test_the_exposition_shows_the_age_bands(clocked: tuple[Store, Clock]) -> None:
    store, clock = clocked
    await received(store, clock, datetime.now(UTC) - timedelta(days=2), GatewayState.UNCONFIRMED)
    text = (await exposition(Ledger(store))).decode()
    assert 'smmgw_unconfirmed_orders{age=">24h"} 1.0' in text
    assert 'smmgw_unconfirmed_orders{age="<1h"} 0.0' in text


def test_metrics_stand_below_the_core() -> None:
    code = "import sys, gateway.metrics; print('gateway.core' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
