"""Price lists: validation, which override wins, rounding, and the margin guard (skip or reprice,
failover never to a member the price would lose money on)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.accounts.errors import MarginBreached
from gateway.accounts.pricing import (
    ClientPrice,
    Override,
    PriceList,
    client_rate,
    listing_rate,
    price_order,
)
from gateway.catalog import Group, Snapshot
from gateway.routing import Exclusion, ProviderState, Quote, quote
from providers.models import OrderRequest, ServiceType
from tests.gateway.catalog_helpers import service, snapshot

FOLLOWERS = "Instagram Followers [R30]"


def three(cheap: str = "0.50", mid: str = "0.80", pricey: str = "1.00") -> Snapshot:
    """Instagram followers at three providers; `pricey` charges in EUR (1.10 USD each)."""
    return snapshot(
        {
            "cheap": [service("1", FOLLOWERS, cheap, max=1_000_000)],
            "mid": [service("2", FOLLOWERS, mid, max=1_000_000)],
            "pricey": [service("3", FOLLOWERS, pricey, currency="EUR", max=1_000_000)],
        },
        to_base={"EUR": Decimal("1.10")},
    )


def only_group(snap: Snapshot) -> Group:
    [group] = snap.groups.values()
    return group


GROUP = only_group(three())
ALL_UP = {name: ProviderState() for name in ("cheap", "mid", "pricey")}


def quoted(group: Group = GROUP, quantity: int = 1000, **extra: Any) -> Quote:
    request = OrderRequest(service="g", link="https://instagram.com/x", quantity=quantity, **extra)
    return quote(group, request, ALL_UP)


def prices(**fields: Any) -> PriceList:
    return PriceList.model_validate(fields)


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"platform": "instagram"}, "exactly one of markup_percent and rate"),
        ({"platform": "instagram", "rate": "1", "markup_percent": "5"}, "exactly one"),
        ({"platform": "instagram", "rate": "-0.01"}, "rate must be between 0"),
        ({"platform": "instagram", "markup_percent": "-100"}, "markup_percent must be above -100"),
        ({"platform": "myspace", "rate": "1"}, "unknown platform 'myspace'"),
        ({"metric": "hugs", "rate": "1"}, "unknown metric 'hugs'"),
        ({"service_id": 4, "platform": "instagram", "rate": "1"}, "names no platform or metric"),
        ({"rate": "1"}, "names a platform, a metric or a service_id"),
        ({"service_id": 0, "rate": "1"}, "greater than 0"),
        ({"metric": "likes", "rate": "NaN"}, "rate"),
        ({"metric": "likes", "rate": "1", "discount": "3"}, "discount"),
    ],
)
def test_an_override_is_refused_with_a_clear_reason(fields: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Override.model_validate(fields)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"markup_percent": "-100"}, "markup_percent must be above -100"),
        ({"markup_percent": "-250"}, "markup_percent must be above -100"),
        ({"min_margin_percent": "-1"}, "min_margin_percent must be between 0"),
        (
            {"overrides": [{"metric": "likes", "rate": "1"}, {"metric": "likes", "rate": "2"}]},
            "two overrides name the same",
        ),
    ],
)
def test_a_price_list_is_refused_with_a_clear_reason(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        PriceList.model_validate(fields)


def test_a_price_list_survives_its_json_form_exactly() -> None:
    original = prices(
        markup_percent="12.5",
        min_margin_percent="3",
        overrides=[
            {"platform": "instagram", "metric": "followers", "rate": "0.1234"},
            {"service_id": 7, "markup_percent": "-10"},
        ],
    )
    stored = original.model_dump(mode="json")
    assert stored["markup_percent"] == "12.5", "money and percentages travel as exact text"
    assert PriceList(**stored) == original
    assert PriceList() == PriceList(markup_percent=Decimal(0), min_margin_percent=Decimal(0))


# -- which rate ---------------------------------------------------------------------------


def test_the_most_specific_override_wins() -> None:
    cost = Decimal("1.00")
    by_platform = {"platform": "instagram", "markup_percent": "10"}
    by_metric = {"metric": "followers", "markup_percent": "20"}
    by_both = {"platform": "instagram", "metric": "followers", "markup_percent": "30"}
    by_service = {"service_id": GROUP.id, "rate": "9.99"}
    layers = [by_platform, by_metric, by_both, by_service]
    expected = ["1.1", "1.2", "1.3", "9.99"]
    assert client_rate(prices(markup_percent="5"), GROUP, cost) == Decimal("1.05")
    for n in range(len(layers)):
        # Given in any order, the most specific of the ones present wins.
        listed = prices(markup_percent="5", overrides=list(reversed(layers[: n + 1])))
        assert client_rate(listed, GROUP, cost) == Decimal(expected[n])
        listed = prices(markup_percent="5", overrides=layers[: n + 1])
        assert client_rate(listed, GROUP, cost) == Decimal(expected[n])


def test_overrides_for_something_else_do_not_apply() -> None:
    others = prices(
        markup_percent="50",
        overrides=[
            {"platform": "tiktok", "markup_percent": "1"},
            {"metric": "likes", "markup_percent": "2"},
            {"platform": "instagram", "metric": "likes", "markup_percent": "3"},
            {"service_id": GROUP.id + 1, "rate": "0"},
        ],
    )
    assert client_rate(others, GROUP, Decimal("2")) == Decimal("3")


def test_rates_and_amounts_round_up_to_four_places() -> None:
    thirds = prices(markup_percent="0")
    assert client_rate(thirds, GROUP, Decimal("0.33333")) == Decimal("0.3334")
    assert client_rate(prices(markup_percent="10"), GROUP, Decimal("0.12345")) == Decimal("0.1358")
    fixed = prices(overrides=[{"metric": "followers", "rate": "1.2345"}])
    _, price = price_order(fixed, "skip", quoted(quantity=333))
    assert price == ClientPrice(Decimal("1.2345"), Decimal("0.4111"), "USD", repriced=False)
    # 333 x 1.2345 / 1000 = 0.4110885: up, never to the nearest.
    exact = prices(markup_percent="20")
    _, price = price_order(exact, "skip", quoted(quantity=2500))
    assert (price.rate, price.amount) == (Decimal("0.6"), Decimal("1.5"))


def test_drip_feed_runs_and_packages_are_priced_like_their_cost() -> None:
    listed = prices(markup_percent="10")
    _, dripped = price_order(listed, "skip", quoted(quantity=1000, runs=3, interval=10))
    assert dripped.amount == Decimal("1.65"), "0.55 per 1000, three runs of 1000"
    packages = snapshot(
        {
            "cheap": [
                service(
                    "1", "Instagram Followers Pack", "4", kind=ServiceType.PACKAGE, min=1, max=1
                )
            ],
            "mid": [
                service(
                    "2", "Instagram Followers Pack", "5", kind=ServiceType.PACKAGE, min=1, max=1
                )
            ],
        }
    )
    group = only_group(packages)
    request = OrderRequest(
        service="g", service_type=ServiceType.PACKAGE, link="https://instagram.com/x"
    )
    decision = quote(group, request, {"cheap": ProviderState(), "mid": ProviderState()})
    kept, price = price_order(listed, "skip", decision)
    assert (price.rate, price.amount) == (Decimal("4.4"), Decimal("4.4")), "a package is flat"
    assert [c.offer.provider for c in kept.candidates] == ["cheap"]


# -- the margin guard ---------------------------------------------------------------------


def test_failover_candidates_the_price_would_lose_money_on_are_excluded() -> None:
    # 100% over the cheapest (0.50): 1.00 per 1000. mid (0.80) keeps a 5% margin at that
    # price; pricey (1.10 USD) would be sold at a loss.
    listed = prices(markup_percent="100", min_margin_percent="5")
    decision = quoted()
    kept, price = price_order(listed, "skip", decision)
    assert price == ClientPrice(Decimal("1"), Decimal("1"), "USD", repriced=False)
    assert [c.offer.provider for c in kept.candidates] == ["cheap", "mid"]
    [left_out] = kept.excluded
    assert (left_out.offer.provider, left_out.reason) == ("pricey", Exclusion.MARGIN_BREACHED)
    assert "1.1" in left_out.detail
    # Raising the margin to 30% leaves mid out too (0.80 x 1.3 = 1.04 > 1.00).
    stricter = prices(markup_percent="100", min_margin_percent="30")
    kept, _ = price_order(stricter, "skip", decision)
    assert [c.offer.provider for c in kept.candidates] == ["cheap"]
    assert {e.offer.provider for e in kept.excluded} == {"mid", "pricey"}


def test_a_dearer_member_chosen_first_is_priced_from_the_cheapest() -> None:
    # best_value, fastest or exploration may rank a dearer member first: the client still pays
    # the listed rate (from the cheapest), and a chosen member that rate loses money on is
    # left out like any other.
    by_cost = quoted()
    cheap, mid, pricey = by_cost.candidates
    ranked = dataclasses.replace(by_cost, candidates=(mid, pricey, cheap), policy="best_value")
    listed = prices(markup_percent="20")
    kept, price = price_order(listed, "skip", ranked)
    assert price == ClientPrice(Decimal("0.6"), Decimal("0.6"), "USD", repriced=False)
    assert price.rate == listing_rate(listed, "skip", GROUP)
    assert [c.offer.provider for c in kept.candidates] == ["cheap"]
    assert {e.offer.provider for e in kept.excluded} == {"mid", "pricey"}
    assert {e.reason for e in kept.excluded} == {Exclusion.MARGIN_BREACHED}
    # At 100% over the cheapest (1.00 per 1000) mid keeps a 5% margin: it stays chosen.
    wider = prices(markup_percent="100", min_margin_percent="5")
    kept, price = price_order(wider, "skip", ranked)
    assert (price.rate, price.amount) == (Decimal("1"), Decimal("1"))
    assert [c.offer.provider for c in kept.candidates] == ["mid", "cheap"]
    # Under reprice the floor is the cheapest's too.
    fixed = prices(overrides=[{"metric": "followers", "rate": "0.40"}], min_margin_percent="20")
    kept, price = price_order(fixed, "reprice", ranked)
    assert (price.rate, price.repriced) == (Decimal("0.6"), True)
    assert price.rate == listing_rate(fixed, "reprice", GROUP)
    assert [c.offer.provider for c in kept.candidates] == ["cheap"]


def test_a_quote_every_member_keeps_the_margin_on_is_unchanged() -> None:
    decision = quoted()
    kept, _ = price_order(prices(markup_percent="200"), "skip", decision)
    assert kept == decision


def test_skip_refuses_a_fixed_rate_below_cost() -> None:
    listed = prices(overrides=[{"service_id": GROUP.id, "rate": "0.40"}])
    with pytest.raises(MarginBreached) as refused:
        price_order(listed, "skip", quoted())
    assert refused.value.message == "Service is currently unavailable"
    assert refused.value.quote.chosen is None, "no member may take it at that price"
    assert {e.reason for e in refused.value.quote.excluded} == {Exclusion.MARGIN_BREACHED}
    assert listing_rate(listed, "skip", GROUP) is None, "services leaves it out"


def test_skip_refuses_a_markup_below_the_minimum_margin() -> None:
    listed = prices(markup_percent="5", min_margin_percent="10")
    with pytest.raises(MarginBreached):
        price_order(listed, "skip", quoted())
    # Exactly at the floor is no breach.
    at_floor = prices(markup_percent="10", min_margin_percent="10")
    _, price = price_order(at_floor, "skip", quoted())
    assert price.rate == Decimal("0.55")


def test_reprice_charges_the_floor_and_says_so() -> None:
    listed = prices(overrides=[{"metric": "followers", "rate": "0.40"}], min_margin_percent="20")
    kept, price = price_order(listed, "reprice", quoted(quantity=1500))
    assert price == ClientPrice(Decimal("0.6"), Decimal("0.9"), "USD", repriced=True)
    assert [c.offer.provider for c in kept.candidates] == ["cheap"], "others cost more than that"
    assert listing_rate(listed, "reprice", GROUP) == Decimal("0.6")
    # A floor with more than four places is rounded up, still above cost x 1.2.
    odd = only_group(three(cheap="0.33333"))
    _, price = price_order(listed, "reprice", quoted(odd, quantity=1000))
    assert price.rate == Decimal("0.4")
    third = prices(overrides=[{"metric": "followers", "rate": "0.1"}])
    _, price = price_order(third, "reprice", quoted(odd, quantity=1000))
    assert (price.rate, price.amount, price.repriced) == (
        Decimal("0.3334"),
        Decimal("0.3334"),
        True,
    )


def test_a_fixed_rate_above_cost_ignores_the_markup() -> None:
    listed = prices(markup_percent="500", overrides=[{"platform": "instagram", "rate": "0.85"}])
    kept, price = price_order(listed, "skip", quoted())
    assert price.rate == Decimal("0.85")
    assert [c.offer.provider for c in kept.candidates] == ["cheap", "mid"]
    assert listing_rate(listed, "skip", GROUP) == Decimal("0.85")


def test_the_listing_follows_the_cheapest_member() -> None:
    assert listing_rate(prices(markup_percent="20"), "skip", GROUP) == Decimal("0.6")
    assert listing_rate(prices(), "skip", GROUP) == Decimal("0.5"), "markup 0: the cost itself"


def test_an_unknown_policy_or_an_empty_quote_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown margin policy"):
        price_order(prices(), "sometimes", quoted())
    with pytest.raises(ValueError, match="without candidates"):
        price_order(prices(), "skip", quoted(quantity=5))


# -- properties ---------------------------------------------------------------------------

_rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5000), places=5)
_percents = st.decimals(min_value=Decimal("-99.99"), max_value=Decimal(500), places=2)
_margins = st.decimals(min_value=Decimal(0), max_value=Decimal(200), places=2)
_fixed = st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=4)


@settings(max_examples=150, deadline=None)
@given(
    rates=st.tuples(_rates, _rates, _rates),
    markup=_percents,
    margin=_margins,
    fixed=_fixed,
    quantity=st.integers(min_value=10, max_value=1_000_000),
    runs=st.none() | st.integers(min_value=2, max_value=50),
    policy=st.sampled_from(["skip", "reprice"]),
)
def test_a_price_never_falls_below_the_floor(
    rates: tuple[Decimal, Decimal, Decimal],
    markup: Decimal,
    margin: Decimal,
    fixed: Decimal | None,
    quantity: int,
    runs: int | None,
    policy: str,
) -> None:
    group = only_group(three(*(f"{r:f}" for r in rates)))
    overrides = [] if fixed is None else [{"metric": "followers", "rate": fixed}]
    listed = prices(markup_percent=markup, min_margin_percent=margin, overrides=overrides)
    extra = {} if runs is None else {"runs": runs, "interval": 5}
    decision = quoted(group, quantity, **extra)
    floor = 1 + margin / 100
    try:
        kept, price = price_order(listed, policy, decision)
    except MarginBreached:
        assert policy == "skip"
        chosen = decision.chosen
        assert chosen is not None
        assert client_rate(listed, group, chosen.offer.rate) < chosen.offer.rate * floor
        assert listing_rate(listed, policy, group) is None
        return
    assert isinstance(price.amount, Decimal)
    assert kept.chosen == decision.chosen, "the price comes from the cheapest, which stays"
    assert kept.candidates, "a price is only returned with someone to place it"
    for candidate in kept.candidates:
        assert price.amount >= candidate.cost.amount * floor
    assert price.rate >= decision.candidates[0].offer.rate * floor
    assert price.amount == price.amount.quantize(Decimal("0.0001"))
    assert price.rate == price.rate.quantize(Decimal("0.0001"))
    assert price.repriced == (client_rate(listed, group, group.members[0].rate) != price.rate)
    every = {c.offer.provider for c in kept.candidates} | {e.offer.provider for e in kept.excluded}
    assert every == {"cheap", "mid", "pricey"}, "a member is either kept or excluded, once"
    listing = listing_rate(listed, policy, group)
    assert listing == price.rate, "services shows the rate an order is placed at"
