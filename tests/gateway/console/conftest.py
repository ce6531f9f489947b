"""The real app (workers in process) on three simulated panels, served on loopback, with keys of
every scope, and Debian's Chromium driven by Playwright with every host but 127.0.0.1 unreachable.
Webhook endpoints may point at loopback, and a delivery that fails once is given up, so a test
sees a failing endpoint at once; gamma is low on funds."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from gateway.app import create_app
from gateway.config import Settings, WebhooksSection
from gateway.core import Gateway
from tests.databases import unavailable
from tests.gateway.graphql.server import ApiFactory, Server, serve
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings

LOW = Decimal("1000000")
"""gamma's low-funds threshold."""

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium's own resolver answers nothing but loopback, so not even a CDN's name resolves.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


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


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        await gateway.catalog.sync()
        yield gateway


@pytest.fixture
async def server(settings: Settings, gw: Gateway) -> AsyncIterator[Server]:
    async with serve(create_app(settings, gateway=gw)) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture
def api(server: Server, http: httpx.AsyncClient) -> ApiFactory:
    return ApiFactory(http, server.graphql_url)


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


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        unavailable("chromium (apt-get install chromium)")
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, args=[OFFLINE])
        try:
            yield launched
        finally:
            await launched.close()
