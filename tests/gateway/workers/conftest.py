"""Three simulated panels (each behind a status recorder), a gateway on them, a movable now."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from providers.simulator import ManualClock, simulator
from tests.gateway.panels import PANELS, Trio, open_gateway, trio_settings
from tests.gateway.workers.helpers import Now, StatusRecorder, record_status


@pytest.fixture
def recorders() -> dict[str, StatusRecorder]:
    return {}


@pytest.fixture
def trio(recorders: dict[str, StatusRecorder]) -> Iterator[Trio]:
    clock = ManualClock()
    with ExitStack() as stack:
        sims = {}
        for spec in PANELS:
            sim = simulator(
                seed=spec.seed, services=300, profile=spec.profile, currency=spec.currency,
                balance="1000000", clock=clock,
            )  # fmt: skip
            recorders[spec.name] = record_status(sim)
            sims[spec.name] = stack.enter_context(sim)
        yield Trio(sims, clock)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        yield gateway


@pytest.fixture
def now() -> Now:
    return Now()
