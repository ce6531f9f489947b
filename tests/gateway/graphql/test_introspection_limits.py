"""Introspection obeys the depth limit and the cost limit; callers without a key get neither
introspection nor "Did you mean" suggestions unless ``[api] anonymous_introspection`` says so."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx
from graphql import get_introspection_query

from gateway.app import create_app
from gateway.config import ApiSection, Settings
from gateway.core import Gateway
from gateway.demo import PANELS, demo_settings
from providers.simulator import simulator
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Api, Server, serve


def nested_introspection(depth: int) -> str:
    """``__schema { types { fields { type { fields ... } } } }`` about `depth` fields deep."""
    levels = ["fields" if level % 2 == 0 else "type" for level in range(depth - 3)]
    inner = "name"
    for name in reversed(levels):
        inner = f"{name} {{ {inner} }}"
    return f"{{ __schema {{ types {{ {inner} }} }} }}"


async def test_introspection_nesting_obeys_the_depth_limit(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    reader = Api(http, server.graphql_url, keys.reader)
    deep = await reader.execute(nested_introspection(120))
    assert deep["data"] is None
    assert "exceeds maximum operation depth of 12" in deep["errors"][0]["message"]
    standard = await reader.data(get_introspection_query())
    assert standard["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_pays_its_cost(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    reader = Api(http, server.graphql_url, keys.reader)
    lists = "fields { args { name } } interfaces { name } possibleTypes { name }"
    schema = f"__schema {{ types {{ {lists} enumValues {{ name }} inputFields {{ name }} }} }}"
    answer = await reader.execute("{ " + " ".join(f"a{i}: {schema}" for i in range(16)) + " }")
    assert answer["errors"][0]["extensions"]["code"] == "COST_LIMIT"
    assert answer["errors"][0]["extensions"]["cost"] > 20_000


async def test_callers_without_a_key_get_no_introspection_nor_suggestions(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    anonymous = Api(http, server.graphql_url, None)
    answer = await anonymous.execute("{ __schema { queryType { name } } }")
    assert answer["data"] is None
    assert "introspection" in answer["errors"][0]["message"].lower()
    typo = await anonymous.execute("{ servics { totalCount } }")
    [error] = typo["errors"]
    assert error["message"] == "Cannot query field 'servics' on type 'Query'."
    keyed = await Api(http, server.graphql_url, keys.reader).execute("{ servics { totalCount } }")
    assert "Did you mean 'service' or 'services'?" in keyed["errors"][0]["message"]


async def test_anonymous_introspection_can_be_switched_on(
    settings: Settings, gw: Gateway, http: httpx.AsyncClient
) -> None:
    open_api = settings.model_copy(update={"api": ApiSection(anonymous_introspection=True)})
    async with serve(create_app(open_api, gateway=gw)) as running:
        anonymous = Api(http, running.graphql_url, None)
        answer = await anonymous.data("{ __schema { queryType { name } } }")
        assert answer["__schema"]["queryType"]["name"] == "Query"
        typo = await anonymous.execute("{ servics { totalCount } }")
        assert "Did you mean 'service' or 'services'?" in typo["errors"][0]["message"]


def test_serve_hides_the_schema_from_keyless_callers_and_the_demo_shows_it(
    tmp_path: Path,
) -> None:
    assert ApiSection().anonymous_introspection is False
    with ExitStack() as stack:
        panels = {p.name: stack.enter_context(simulator(services=3)) for p in PANELS}
        assert demo_settings(panels, tmp_path, None).api.anonymous_introspection is True
