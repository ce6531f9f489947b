"""Demand control covers the account lists: movements by their page, accounts and the margin
report by their assumed sizes, each spend figure as the query it is."""

from __future__ import annotations

from graphql import parse

from gateway.graphql.cost import CostModel
from gateway.graphql.schema import build_schema


def test_account_lists_are_costed() -> None:
    model = CostModel.of(build_schema()._schema)

    def cost(query: str) -> int:
        return model.cost(parse(query)).total

    # 50 assumed accounts, each 1 + its movements connection (1 + 20 movements of 1 each).
    assert cost("{ accounts { name movements(first: 20) { nodes { id } } } }") == 50 * (1 + 21)
    # Each spend figure is a query: 1 per account.
    assert cost("{ accounts { spendToday spendThisMonth } }") == 50 * 3
    assert cost("{ marginReport { margin } }") == 200
    assert cost("{ viewer { account { movements(first: 500) { edges { node { id } } } } } }") == (
        1 + 1 + 1 + 500 * 2
    )
