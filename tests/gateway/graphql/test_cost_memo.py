"""Remembered costs are the costs the model computes: another page of a list costs the same
(remembered), another size or a variable given versus left to its default does not."""

from __future__ import annotations

from typing import Any

from graphql import parse

from gateway.graphql import build_schema
from gateway.graphql.cost import CostModel
from gateway.graphql.cost_memo import CostMemo, sizing_variables

QUERY = """
query Page($first: Int = 500, $after: String, $size: Int) {
  services(first: $first, after: $after) { edges { node { id members { id } } } }
  batch: services(first: $size) { nodes { id } }
}
"""
SIZES = {("Service", "members"): 7}


def test_sizing_variables_are_those_of_sizing_arguments() -> None:
    assert sizing_variables(parse(QUERY)) == ("first", "size")


def test_remembered_costs_are_the_models() -> None:
    model = CostModel.of(build_schema()._schema)
    document = parse(QUERY)
    memo = CostMemo()
    cases: list[dict[str, Any]] = [
        {},
        {"first": 20},
        {"first": 20, "after": "x"},
        {"first": 21},
        {"first": None},
        {"first": "20"},
        {"size": 3},
    ]
    costs = {model.cost(document, None, variables, SIZES).total for variables in cases}
    assert len(costs) >= 4  # the cases differ in cost
    for _ in range(2):
        for variables in cases:
            expected = model.cost(document, None, variables, SIZES)
            assert memo.cost(model, document, None, variables, SIZES) == expected
    page = {"first": 20, "after": "a"}
    other_page = {**page, "after": "b"}
    first = memo.cost(model, document, None, page, SIZES)
    assert memo.cost(model, document, None, other_page, SIZES) is first
    assert memo.cost(model, document, None, page, {("Service", "members"): 8}) != first
    assert memo.cost(model, parse(QUERY), None, page, SIZES) == first
