"""The gateway on three simulated panels, for the test modules here that need no other setup:
`trio` (the panels), `settings` (a gateway on them, the test's database and Redis namespace) and
`gw` (that gateway, open). Subpackages and modules with their own needs define their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        yield gateway
