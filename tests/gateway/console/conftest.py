"""The real app (workers in process) on three simulated panels, served on loopback, with keys of
every scope, and Debian's Chromium driven by Playwright with every host but 127.0.0.1 unreachable.
Webhook endpoints may point at loopback, and a delivery that fails once is given up, so a test
sees a failing endpoint at once; gamma is low on funds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal

import pytest

from gateway.config import Settings, WebhooksSection
from gateway.core import Gateway
from tests.gateway.chromium import browser  # noqa: F401 (a fixture)
from tests.gateway.panels import Trio, start_trio, trio_settings
from tests.gateway.served import (  # noqa: F401 (fixtures: api, gw, http, server)
    api_fixture,
    gw_fixture,
    http_fixture,
    server_fixture,
)

LOW = Decimal("1000000")
"""gamma's low-funds threshold."""


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    base = trio_settings(trio, database_url, redis_url, namespace)
    webhooks = WebhooksSection(allow_private_targets=True, max_attempts=1, timeout=2)
    # gamma's panel holds 100000 EUR: under this threshold it is low on funds.
    providers = [
        p.model_copy(update={"balance_low": LOW}) if p.name == "gamma" else p
        for p in base.providers
    ]
    return base.model_copy(update={"webhooks": webhooks, "providers": providers})


@dataclass
class Keys:
    """Secrets of the keys made for a test."""

    admin: str
    """ops, admin."""
    ops: str
    """dashboard, ops (read-only operator)."""
    alice: str
    """client-a, order (not an operator)."""


@pytest.fixture
async def keys(gw: Gateway) -> Keys:
    made = {}
    for name, client, scope in (
        ("admin", "ops", "admin"), ("ops", "dashboard", "ops"), ("alice", "client-a", "order"),
    ):  # fmt: skip
        _, made[name] = await gw.store.create_api_key(name, client, [scope])
    return Keys(**made)
