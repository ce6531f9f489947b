"""The real app on a gateway, served over loopback: fixtures for the test packages that drive it
over HTTP (`tests.gateway.graphql`, `tests.gateway.console`).

A package's conftest imports them and defines `trio` and `settings` itself; each fixture here
takes the `settings` and `trio` of the package that asks for it. The functions are named
``*_fixture`` so that a conftest's own fixtures may take ``gw`` and the rest as arguments::

    from tests.gateway.served import api_fixture, gw_fixture, http_fixture, server_fixture

`gw` is the gateway, open, its catalog synced; `server` the app on it; `http` a client; `api` a
GraphQL caller on that client and server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.graphql.server import ApiFactory, Server, serve
from tests.gateway.panels import Trio, open_gateway


@pytest.fixture(name="gw")
async def gw_fixture(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    async with open_gateway(settings, trio) as gateway:
        await gateway.catalog.sync()
        yield gateway


@pytest.fixture(name="server")
async def server_fixture(settings: Settings, gw: Gateway) -> AsyncIterator[Server]:
    async with serve(create_app(settings, gateway=gw)) as running:
        yield running


@pytest.fixture(name="http")
async def http_fixture() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture(name="api")
def api_fixture(server: Server, http: httpx.AsyncClient) -> ApiFactory:
    return ApiFactory(http, server.graphql_url)
