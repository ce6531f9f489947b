"""A gateway on three simulated panels, served by the real app over loopback HTTP/WebSocket,
on SQLite and PostgreSQL with the real Redis; API keys for two clients and an admin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.graphql.server import ApiFactory, Server, serve
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings

SERVICES_PER_PANEL = 200


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=SERVICES_PER_PANEL)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


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


@dataclass
class Keys:
    """Secrets of the keys made for a test."""

    reader: str
    """client-a, read."""
    alice: str
    """client-a, order."""
    bob: str
    """client-b, order."""
    admin: str
    """ops, admin."""
    ops: str
    """dashboard, ops (read-only operator)."""


@pytest.fixture
async def keys(gw: Gateway) -> Keys:
    made = {}
    for name, client, scope in (
        ("reader", "client-a", "read"), ("alice", "client-a", "order"),
        ("bob", "client-b", "order"), ("admin", "ops", "admin"), ("ops", "dashboard", "ops"),
    ):  # fmt: skip
        _, made[name] = await gw.store.create_api_key(name, client, [scope])
    return Keys(**made)


@pytest.fixture
def api(server: Server, http: httpx.AsyncClient) -> ApiFactory:
    return ApiFactory(http, server.graphql_url)
