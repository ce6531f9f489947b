"""A gateway on three simulated panels, served by the real app over loopback HTTP/WebSocket,
on SQLite and PostgreSQL with the real Redis; API keys for two clients and an admin.

Every query of these tests is executed twice, by the compiled executor and by the normal one
(`gateway.graphql.compiled_compare`); a test fails when the two answers differ."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.graphql.compiled_compare import COMPARE_ENV, MISMATCHES
from tests.gateway.chromium import browser  # noqa: F401 (a fixture: GraphiQL's browser tests)
from tests.gateway.panels import Trio, start_trio, trio_settings
from tests.gateway.served import (  # noqa: F401 (fixtures: api, gw, http, server)
    api_fixture,
    gw_fixture,
    http_fixture,
    server_fixture,
)

SERVICES_PER_PANEL = 200

os.environ[COMPARE_ENV] = "1"


@pytest.fixture(autouse=True)
def compiled_matches_normal() -> Iterator[None]:
    """Fails the test when a compiled answer differed from the normal executor's."""
    MISMATCHES.clear()
    yield
    found = list(MISMATCHES)
    MISMATCHES.clear()
    assert not found, "compiled execution differs:\n" + "\n".join(found)


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=SERVICES_PER_PANEL)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


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
