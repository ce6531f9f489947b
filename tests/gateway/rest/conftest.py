"""The gateway app over three simulated panels, served by uvicorn on a loopback port (the
tests' client speaks real HTTP to it), with API keys of every scope; the ``[webhooks]`` and
``[limits]`` sections get test defaults here."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from gateway import config
from gateway.app import create_app
from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings


class WebhooksSection(config.WebhooksSection):
    """Test defaults: receivers on loopback, short timeouts."""

    allow_private_targets: bool = True
    timeout: float = 2.0


class LimitsSection(config.LimitsSection):
    """Test defaults: limits out of the way unless a test sets them."""

    per_key: str = "100000/minute"
    anonymous: str = "100000/minute"


METRICS_TOKEN_ENV = "SMM_GATEWAY_TEST_METRICS_TOKEN"
"""The variable /metrics reads its token from in these tests (set it with monkeypatch)."""


@dataclass(frozen=True)
class Keys:
    alice: str
    """Order scope, client ``alice``."""
    bob: str
    """Order scope, client ``bob``."""
    reader: str
    """Read scope, client ``alice``."""
    admin: str
    """Admin scope, client ``ops``."""


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack)


def rest_settings(
    trio: Trio,
    database_url: str,
    redis_url: str | None,
    namespace: str,
    *,
    limits: LimitsSection | None = None,
    webhooks: WebhooksSection | None = None,
) -> Settings:
    base = trio_settings(trio, database_url, redis_url, namespace)
    api = base.api.model_copy(update={"metrics_token_env": METRICS_TOKEN_ENV})
    return base.model_copy(
        update={
            "limits": limits or LimitsSection(), "webhooks": webhooks or WebhooksSection(),
            "api": api,
        }
    )  # fmt: skip


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return rest_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
async def gw(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        yield gateway


@contextlib.asynccontextmanager
async def running(settings: Settings, gw: Gateway) -> AsyncIterator[Starlette]:
    """The app with its lifespan entered (no background workers: tests drive them)."""
    app = create_app(settings, gateway=gw, background=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app(settings: Settings, gw: Gateway) -> AsyncIterator[Starlette]:
    async with running(settings, gw) as started:
        yield started


@contextlib.asynccontextmanager
async def client_for(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` served by uvicorn on a loopback port: real sockets, real HTTP
    parsing, as panel clients reach the gateway."""
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as c:
        yield c


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest.fixture
async def keys(gw: Gateway) -> Keys:
    made = {}
    for name, client_id, scope in (
        ("alice", "alice", "order"), ("bob", "bob", "order"), ("reader", "alice", "read"),
        ("admin", "ops", "admin"),
    ):  # fmt: skip
        _, made[name] = await gw.store.create_api_key(name, client_id, [scope])
    return Keys(**made)


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """`app` on a free loopback port in this event loop; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
