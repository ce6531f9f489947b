"""The ``[api]`` switches: GraphiQL and introspection on in development and off in production,
CORS for browser frontends, a configurable depth limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from gateway.app import create_app
from gateway.config import ApiSection, Settings
from gateway.core import Gateway
from gateway.graphql.options import GraphQLOptions
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Api, Server, serve

FRONTEND = "https://app.example.com"


def production(settings: Settings) -> Settings:
    api = ApiSection(
        cors_origins=[FRONTEND], graphiql=False, introspection=False, graphql_max_depth=4
    )
    return settings.model_copy(update={"api": api})


@pytest.fixture
async def locked(settings: Settings, gw: Gateway) -> AsyncIterator[Server]:
    async with serve(create_app(production(settings), gateway=gw)) as running:
        yield running


def test_options_come_from_the_api_section(settings: Settings) -> None:
    assert GraphQLOptions.from_settings(settings) == GraphQLOptions()
    options = GraphQLOptions.from_settings(production(settings))
    assert options.cors_origins == (FRONTEND,)
    assert (options.graphiql, options.introspection, options.max_depth) == (False, False, 4)


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_development_serves_graphiql_and_introspection(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    page = await http.get(server.graphql_url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    answer = await Api(http, server.graphql_url, keys.reader).data(INTROSPECTION)
    assert answer["__schema"]["queryType"]["name"] == "Query"


async def test_production_hides_graphiql_and_introspection(
    locked: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    page = await http.get(locked.graphql_url, headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    answer = await Api(http, locked.graphql_url, keys.reader).execute(INTROSPECTION)
    assert "introspection" in answer["errors"][0]["message"].lower()


async def test_depth_limit(locked: Server, http: httpx.AsyncClient, keys: Keys) -> None:
    api = Api(http, locked.graphql_url, keys.reader)
    assert await api.error_codes("{ orders { edges { node { service { id } } } } }") == []
    answer = await api.execute("{ orders { edges { node { service { members { id } } } } } }")
    assert "exceeds maximum operation depth" in answer["errors"][0]["message"]


async def test_cors_allows_only_the_configured_origins(
    locked: Server, server: Server, http: httpx.AsyncClient
) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip
    allowed = await http.options(locked.graphql_url, headers={"Origin": FRONTEND, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == FRONTEND
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = await http.options(
        locked.graphql_url, headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in refused.headers
    plain = await http.post(
        server.graphql_url, json={"query": "{ __typename }"}, headers={"Origin": FRONTEND}
    )
    assert "access-control-allow-origin" not in plain.headers, "no origins configured: no CORS"


async def test_websockets_from_other_origins_are_refused(locked: Server) -> None:
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            locked.ws_url, origin=websockets.Origin("https://evil.example"),
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        ):  # fmt: skip
            pass
    async with websockets.connect(
        locked.ws_url, origin=websockets.Origin(FRONTEND),
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as ws:  # fmt: skip
        assert ws.subprotocol == "graphql-transport-ws"
