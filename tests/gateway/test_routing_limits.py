"""Routing at its edges: a member's min and max are inclusive, a rate equal to the group's cap
is allowed, and a provider the router knows nothing about is never chosen. (Mutants that moved
these edges survived the rest of the suite.)"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from gateway.routing import Exclusion, Need, ProviderState, quote
from providers.models import OrderRequest
from tests.gateway.catalog_helpers import service, snapshot

SNAP = snapshot(
    {
        "cheap": [service("1", "Instagram Followers [R30]", "0.50", min=100, max=5000)],
        "mid": [service("2", "Instagram Followers [R30]", "0.80", min=10, max=100_000,
                        refill=True)],
    }
)  # fmt: skip
GROUP = next(iter(SNAP.groups.values()))
ALL_UP = {"cheap": ProviderState(), "mid": ProviderState()}


def order(quantity: int) -> OrderRequest:
    return OrderRequest(service="g", link="https://instagram.com/x", quantity=quantity)


@pytest.mark.parametrize(
    ("quantity", "cheap"),
    [(99, Exclusion.QUANTITY_BELOW_MIN), (100, None), (5000, None),
     (5001, Exclusion.QUANTITY_ABOVE_MAX)],
)  # fmt: skip
def test_min_and_max_are_inclusive(quantity: int, cheap: Exclusion | None) -> None:
    result = quote(GROUP, order(quantity), ALL_UP)
    excluded = {e.offer.provider: e.reason for e in result.excluded}
    assert excluded.get("cheap") == cheap
    assert "mid" not in excluded
    expected = ["mid"] if cheap else ["cheap", "mid"]
    assert [c.offer.provider for c in result.candidates] == expected


def test_a_rate_equal_to_the_cap_is_allowed() -> None:
    at_cap = quote(replace(GROUP, max_rate=Decimal("0.80")), order(1000), ALL_UP)
    assert [c.offer.provider for c in at_cap.candidates] == ["cheap", "mid"]
    below = quote(replace(GROUP, max_rate=Decimal("0.79")), order(1000), ALL_UP)
    assert [c.offer.provider for c in below.candidates] == ["cheap"]
    [(offer, reason)] = [(e.offer.provider, e.reason) for e in below.excluded]
    assert (offer, reason) == ("mid", Exclusion.ABOVE_RATE_CAP)


def test_a_provider_without_a_state_is_never_chosen() -> None:
    result = quote(GROUP, order(1000), {"mid": ProviderState()})
    assert [c.offer.provider for c in result.candidates] == ["mid"]
    assert {e.offer.provider: e.reason for e in result.excluded} == {
        "cheap": Exclusion.PROVIDER_DISABLED
    }


def test_a_missing_capability_says_only_which() -> None:
    result = quote(GROUP, order(1000), ALL_UP, needs=frozenset({Need.REFILL}))
    [excluded] = result.excluded
    assert (excluded.offer.provider, excluded.reason) == ("cheap", Exclusion.NO_REFILL)
    assert excluded.detail == ""
