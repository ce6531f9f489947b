"""A chain of fragments that each spread the next twice names 2^depth copies of its last
fragment in a few hundred bytes. Execution visits a fragment once per selection set, but the
depth and alias rules and the cost walk followed every spread: a depth of 20 held the event loop
for half a minute before the operation was refused, and more would never end. Each walks a
fragment once now, and counts as before."""

from __future__ import annotations

import httpx
from graphql import parse, validate

from gateway.graphql.cost import CostModel
from gateway.graphql.limits import alias_limit, depth_limit
from gateway.graphql.schema import build_schema
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Api, Server

PAGE = "services(first: 100) { edges { node { id } } }"
PAGE_COST = 1 + 100 * 2
"""The connection, and each of its 100 edges and their nodes (a scalar `id` costs nothing)."""


def doubling(operation: str, depth: int, last: str) -> str:
    """`operation` spreading fragment F0, each Fi spreading F(i+1) twice, the last selecting
    `last`: 2^depth copies of `last`."""
    chain = " ".join(f"fragment F{i} on {{on}} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(depth))
    return f"{operation} {{ ...F0 }} {chain} fragment F{depth} on {{on}} {{ {last} }}"


def test_a_doubling_chain_costs_every_copy_and_is_walked_once_per_fragment() -> None:
    model = CostModel.of(build_schema()._schema)
    query = doubling("query", 64, PAGE).replace("{on}", "Query")
    assert model.cost(parse(query)).total == 2**64 * PAGE_COST
    mutation = doubling("mutation", 64, "syncCatalog { __typename }").replace("{on}", "Mutation")
    assert model.cost(parse(mutation)).mutation_fields == 2**64


def test_the_depth_and_alias_rules_count_every_copy_walking_each_fragment_once() -> None:
    schema = build_schema()._schema
    shallow = parse(doubling("query", 64, "a: __typename").replace("{on}", "Query"))
    [aliases] = validate(schema, shallow, [alias_limit(20)])
    assert aliases.message == f"{2**64} aliases found. Allowed: 20"
    assert validate(schema, shallow, [depth_limit(12)]) == []
    deep = "viewer { " * 14 + "__typename" + " }" * 14
    nested = parse(doubling("query", 64, deep).replace("{on}", "Query"))
    [too_deep] = validate(schema, nested, [depth_limit(12)])
    assert too_deep.message == "'anonymous' exceeds maximum operation depth of 12"
    # Under the limit through fragments, as before.
    few = parse(doubling("query", 2, "a: __typename").replace("{on}", "Query"))
    assert validate(schema, few, [alias_limit(4)]) == []
    [five] = validate(schema, few, [alias_limit(3)])
    assert five.message == "4 aliases found. Allowed: 3"


async def test_a_doubling_chain_is_refused_for_its_cost(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    api = Api(http, server.graphql_url, keys.reader)
    answer = await api.execute(doubling("query", 40, PAGE).replace("{on}", "Query"))
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "COST_LIMIT"
    assert error["extensions"]["cost"] == 2**40 * PAGE_COST
