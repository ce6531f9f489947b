"""A chain of fragments that each spread the next twice names 2^depth copies of its last
fragment in a few hundred bytes. Execution visits a fragment once per selection set, but the
cost walk followed every spread: a depth of 20 held the event loop for half a minute before the
operation was refused, and more would never end. Each fragment's cost is now worked out once."""

from __future__ import annotations

from graphql import parse

from gateway.graphql.cost import CostModel
from gateway.graphql.schema import build_schema

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
