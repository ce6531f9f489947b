"""Routing policies over simulated panels that deliver as their quality profiles say: the
gateway learns each panel's quality from the orders it routes (exploration gives the panels
without history their first orders), then ``best_value`` leaves a cheap panel that keeps the
charge of its partials and keeps one that refunds them; exploration's share is seedable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest

from gateway.config import RoutingSection
from gateway.core import Gateway
from providers.models import OrderState
from tests.gateway.policy_panels import (
    PLANS,
    Outcome,
    PanelPlan,
    ValuePanels,
    product_group,
    record_orders,
    settle,
    start_value_panels,
    value_gateway,
    value_settings,
)

FIELDS = {"link": "https://facebook.com/p/1", "quantity": 1000}
MIN_SAMPLE = 15


@pytest.fixture
def urls(database_url: str, redis_url: str, namespace: str) -> tuple[str, str, str]:
    return database_url, redis_url, namespace


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as opened:
        yield opened


async def _learn(gw: Gateway, panels: ValuePanels) -> Counter[str]:
    """Place orders by best_value in rounds of 10, each round finished a day later, until every
    panel has a score; the orders each panel got."""
    group = await product_group(gw)
    routed: Counter[str] = Counter()
    for round_ in range(12):
        report = await gw.quality.report(fresh=True)
        if all(report.service(n, s).orders >= MIN_SAMPLE for n, s in panels.services.items()):
            return routed
        for n in range(10):
            fields = {**FIELDS, "link": f"https://facebook.com/p/{round_}-{n}"}
            row = await gw.place("learner", group.id, fields, policy="best_value")
            assert row.state == OrderState.PENDING
            assert row.provider is not None
            routed[row.provider] += 1
        await settle(gw, panels.time)
    raise AssertionError(f"panels still without a score after 12 rounds: {routed}")


@pytest.mark.parametrize(
    ("cheap_profile", "best"), [("cheap_underdelivers", "mid"), ("underdelivers_refunds", "cheap")]
)
async def test_best_value_learns_which_panel_is_worth_its_price(
    stack: ExitStack, urls: tuple[str, str, str], cheap_profile: str, best: str
) -> None:
    plans = (PanelPlan("cheap", 11, cheap_profile, Decimal("0.50")), *PLANS[1:])
    panels = start_value_panels(stack, plans)
    routing = RoutingSection(exploration_share=Decimal(1), exploration_seed=3)
    settings = value_settings(panels, *urls, routing=routing, min_sample=MIN_SAMPLE)
    async with value_gateway(settings, panels) as gw:
        routed = await _learn(gw, panels)
        # Without history the quote's own terms are assumed: the cheap panel got orders first.
        assert routed["cheap"] >= MIN_SAMPLE
        group = await product_group(gw)
        cheapest = await gw.quote(group.id, FIELDS, policy="cheapest")
        value = await gw.quote(group.id, FIELDS, policy="best_value")
    assert cheapest.chosen is not None
    assert cheapest.chosen.offer.provider == "cheap"
    assert value.chosen is not None
    assert value.chosen.offer.provider == best
    assert not value.explored  # every panel has its score: nothing left to explore
    cheap = next(c.estimate for c in value.candidates if c.offer.provider == "cheap")
    assert cheap is not None
    assert not {"delivered_fraction", "charge_fraction"} & set(cheap.assumed)
    assert cheap.delivered_fraction < Decimal("0.9")
    if cheap_profile == "cheap_underdelivers":  # keeps the whole charge of its partials
        assert cheap.charge_fraction == Decimal(1)
    else:  # refunds what it did not deliver
        assert cheap.charge_fraction < Decimal("0.9")
    dear = next(c.estimate for c in value.candidates if c.offer.provider == "dear")
    assert dear is not None
    assert dear.delivered_fraction == Decimal(1)


async def _chosen(gw: Gateway, quotes: int) -> list[tuple[str, bool]]:
    group = await product_group(gw)
    chosen = []
    for _ in range(quotes):
        quote = await gw.quote(group.id, FIELDS, policy="best_value")
        assert quote.chosen is not None
        chosen.append((quote.chosen.offer.provider, quote.explored))
    return chosen


def _open(panels: ValuePanels, urls: tuple[str, str, str], **routing: Any) -> Any:
    settings = value_settings(panels, *urls, routing=RoutingSection(**routing))
    return value_gateway(settings, panels)


async def test_exploration_sends_a_seeded_share_to_the_panel_without_history(
    stack: ExitStack, urls: tuple[str, str, str]
) -> None:
    panels = start_value_panels(stack)
    async with _open(panels, urls, exploration_share=Decimal(0)) as gw:
        for name in ("cheap", "mid"):  # proven; dear has no orders
            rate = next(p.rate for p in PLANS if p.name == name)
            await record_orders(gw, panels.time, name, panels.services[name], rate, 12, Outcome())
        await gw.catalog.sync()
        await gw.quality.report(fresh=True)
        assert set(await _chosen(gw, 50)) == {("cheap", False)}  # a share of 0 never explores
    runs = []
    for _ in range(2):
        async with _open(panels, urls, exploration_share=Decimal("0.25"), exploration_seed=7) as gw:
            runs.append(await _chosen(gw, 200))
            group = await product_group(gw)
            cheapest = await gw.quote(group.id, FIELDS, policy="cheapest")
            assert not cheapest.explored  # cheapest reads no quality: nothing to explore for
            explored = next(
                q
                for q in [await gw.quote(group.id, FIELDS, policy="best_value") for _ in range(40)]
                if q.explored
            )
            row = await gw.place("explorer", group.id, FIELDS, policy="fastest")
    assert runs[0] == runs[1]  # the same seed, the same draws
    counts = Counter(runs[0])
    assert set(counts) == {("cheap", False), ("dear", True)}
    assert 25 <= counts[("dear", True)] <= 75  # a quarter of 200, give or take the draws
    chosen = explored.chosen
    assert chosen is not None
    assert chosen.offer.provider == "dear"
    assert chosen.reason.startswith("chosen to explore: 0 of the 10 finished orders")
    assert [c.offer.provider for c in explored.candidates] == ["dear", "cheap", "mid"]
    assert row.provider in {"cheap", "dear"}
