"""Routing policies against orders with known outcomes: three simulated panels (cheap, mid,
dear) selling one product, a history of finished orders recorded through the ledger's own
changes on the panels' clock, and quotes ranked by each policy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest

from gateway.accounts.pricing import PriceList
from gateway.config import RoutingSection
from gateway.core import Gateway
from gateway.orders import InvalidOrder
from gateway.routing import Quote
from tests.gateway.policy_panels import (
    PLANS,
    Outcome,
    ValuePanels,
    product_group,
    record_orders,
    start_value_panels,
    value_gateway,
    value_settings,
)

RATES = {plan.name: plan.rate for plan in PLANS}
FIELDS = {"link": "https://facebook.com/p/1", "quantity": 1000}


@pytest.fixture
def panels() -> Iterator[ValuePanels]:
    with ExitStack() as stack:
        yield start_value_panels(stack)


@pytest.fixture
def urls(database_url: str, redis_url: str, namespace: str) -> tuple[str, str, str]:
    return database_url, redis_url, namespace


def _open(panels: ValuePanels, urls: tuple[str, str, str], **options: Any) -> Any:
    return value_gateway(value_settings(panels, *urls, **options), panels)


@pytest.fixture
async def gw(panels: ValuePanels, urls: tuple[str, str, str]) -> AsyncIterator[Gateway]:
    async with _open(panels, urls) as gateway:
        yield gateway


async def _history(gw: Gateway, panels: ValuePanels, outcomes: dict[str, Outcome], n: int) -> None:
    for name, outcome in outcomes.items():
        service = panels.services[name]
        await record_orders(gw, panels.time, name, service, RATES[name], n, outcome)
    await gw.quality.report(fresh=True)
    await gw.catalog.sync()  # the history moved the clock on: prices are synced again


async def _quote(gw: Gateway, policy: str | None = None, **kw: Any) -> Quote:
    group = await product_group(gw)
    return await gw.quote(group.id, FIELDS, policy=policy, **kw)


def _order(quote: Quote) -> list[str]:
    return [c.offer.provider for c in quote.candidates]


@pytest.mark.parametrize(("charged", "best"), [("1", "mid"), ("0.6", "cheap")])
async def test_best_value_weighs_what_a_cheap_panel_keeps_of_its_partials(
    gw: Gateway, panels: ValuePanels, charged: str, best: str
) -> None:
    # The cheap panel delivers 60% of every order; it keeps the whole charge ("1") or refunds
    # the undelivered part ("0.6"). Re-ordering the rest on its terms costs 0.50 / 0.6 = 0.83
    # a whole 1,000 when it keeps, more than the mid panel's 0.80; 0.50 when it refunds.
    outcomes = {
        "cheap": Outcome(delivered=Decimal("0.6"), charged=Decimal(charged)),
        "mid": Outcome(),
        "dear": Outcome(),
    }
    await _history(gw, panels, outcomes, 12)
    cheapest = await _quote(gw, "cheapest")
    assert _order(cheapest) == ["cheap", "mid", "dear"]
    value = await _quote(gw, "best_value")
    assert value.chosen is not None
    assert value.chosen.offer.provider == best
    assert value.policy == "best_value"
    assert value.policy_source == "request"
    cheap = next(c for c in value.candidates if c.offer.provider == "cheap")
    assert cheap.estimate is not None
    assert cheap.estimate.delivered_fraction == Decimal("0.6")
    assert cheap.estimate.charge_fraction == Decimal(charged)
    assert cheap.estimate.samples["delivered_fraction"] == 12
    assert cheap.estimate.samples["charge_fraction"] == 12
    expected = Decimal("0.50") * Decimal(charged) / Decimal("0.6")
    assert cheap.estimate.expected_money.amount == expected.quantize(Decimal("0.00000001"))
    per_unit = Decimal("0.50") * Decimal(charged) / Decimal(600)
    assert cheap.estimate.cost_per_delivered_unit == per_unit.quantize(Decimal("0.00000001"))
    assert value.candidates[0].reason.startswith("lowest expected cost")
    assert "above the best" in value.candidates[1].reason


async def test_best_value_prices_time_when_configured(
    panels: ValuePanels, urls: tuple[str, str, str]
) -> None:
    outcomes = {
        "cheap": Outcome(start=60, took=5400),
        "mid": Outcome(start=60, took=1300),
        "dear": Outcome(start=60, took=1250),
    }
    async with _open(panels, urls) as gw:
        await _history(gw, panels, outcomes, 12)
        free = await _quote(gw, "best_value")
        assert _order(free) == ["cheap", "mid", "dear"]  # same delivery: money decides
    routing = RoutingSection(time_price_per_hour=Decimal(1), exploration_share=Decimal(0))
    async with _open(panels, urls, routing=routing) as gw:
        priced = await _quote(gw, "best_value")
    # cheap: 0.50 + (60 + 5400) s at 1 an hour = 2.02; mid: 0.80 + 1360 s = 1.18.
    assert _order(priced) == ["mid", "dear", "cheap"]
    mid = priced.candidates[0].estimate
    assert mid is not None
    assert mid.expected_seconds == Decimal(1360)
    assert mid.expected_cost.amount == (Decimal("0.80") + Decimal(1360) / 3600).quantize(
        Decimal("0.00000001")
    )


async def test_fastest_takes_the_quickest_within_the_price_ceiling(
    panels: ValuePanels, urls: tuple[str, str, str]
) -> None:
    outcomes = {
        "cheap": Outcome(start=60, took=5400),
        "mid": Outcome(start=60, took=1300),
        "dear": Outcome(start=30, took=600),
    }
    routing = RoutingSection(fastest_ceiling_percent=Decimal(70), exploration_share=Decimal(0))
    async with _open(panels, urls, routing=routing) as gw:
        await _history(gw, panels, outcomes, 12)
        fastest = await _quote(gw, "fastest")
    # Ceiling 0.50 x 1.7 = 0.85: mid (1,360 s) beats cheap (5,460 s); dear, the quickest,
    # costs 1.20 and comes last.
    assert _order(fastest) == ["mid", "cheap", "dear"]
    assert fastest.candidates[0].reason.startswith("lowest expected time 1360 s")
    assert "above the price ceiling" in fastest.candidates[2].reason
    seconds = [c.estimate.expected_seconds for c in fastest.candidates if c.estimate]
    assert seconds == [Decimal(1360), Decimal(5460), Decimal(630)]


async def test_too_few_orders_fall_back_to_neutral_figures(
    gw: Gateway, panels: ValuePanels
) -> None:
    # 3 finished orders (the minimum is 10): no figure is claimed, the quote's own terms are
    # assumed, and best_value ranks as cheapest does.
    short = Outcome(delivered=Decimal("0.3"), charged=Decimal(1), took=9000)
    await _history(gw, panels, {"cheap": short}, 3)
    value = await _quote(gw, "best_value")
    assert _order(value) == ["cheap", "mid", "dear"]
    cheap = value.candidates[0].estimate
    assert cheap is not None
    assert cheap.service.orders == 3
    assert cheap.service.delivered_fraction.value is None
    assert cheap.service.delivered_fraction.sample == 3
    assert set(cheap.assumed) == {
        "delivered_fraction", "charge_fraction", "completion_rate",
        "start_seconds", "complete_seconds_per_1000",
    }  # fmt: skip
    assert cheap.samples["delivered_fraction"] == 0
    assert cheap.delivered_fraction == Decimal(1)
    assert cheap.charge_fraction == Decimal(1)
    assert cheap.expected_money.amount == Decimal("0.5")
    # Nobody's time is known: every candidate is assumed to take none.
    assert all(c.estimate and c.estimate.expected_seconds == 0 for c in value.candidates)


async def test_a_service_without_history_reads_its_provider_figures(
    gw: Gateway, panels: ValuePanels
) -> None:
    # The cheap panel's other service kept every charge and delivered 60%: the product's
    # service has no orders, so its provider's figures stand in.
    other = Outcome(delivered=Decimal("0.6"), charged=Decimal(1))
    await record_orders(gw, panels.time, "cheap", "999999", RATES["cheap"], 12, other)
    await gw.quality.report(fresh=True)
    await gw.catalog.sync()
    value = await _quote(gw, "best_value")
    assert value.chosen is not None
    assert value.chosen.offer.provider == "mid"
    cheap = next(c.estimate for c in value.candidates if c.offer.provider == "cheap")
    assert cheap is not None
    assert "delivered_fraction" in cheap.from_provider
    assert cheap.samples["delivered_fraction"] == 12
    assert cheap.delivered_fraction == Decimal("0.6")


async def test_the_policy_comes_from_request_key_account_group_then_configuration(
    panels: ValuePanels, urls: tuple[str, str, str]
) -> None:
    routing = RoutingSection(policy="best_value", exploration_share=Decimal(0))
    async with _open(panels, urls, routing=routing) as gw:
        assert ((await _quote(gw)).policy, (await _quote(gw)).policy_source) == (
            "best_value", "config",
        )  # fmt: skip
    async with _open(panels, urls, routing=routing, group_policy="fastest") as gw:
        group = await product_group(gw)
        plain = await _quote(gw)
        assert (plain.policy, plain.policy_source) == ("fastest", "group")
        prices = PriceList(markup_percent=Decimal(50)).model_dump(mode="json")
        account = await gw.store.create_account("acme", currency="USD", price_list=prices)
        key, _ = await gw.store.create_api_key("shop", "acme", ["order"], account_id=account.id)
        # Nothing set on the account or the key: the group decides.
        quote, _ = await gw.quote_for(account, group.id, FIELDS, key_id=key.id)
        assert (quote.policy, quote.policy_source) == ("fastest", "group")
        account = await gw.store.set_account_routing_policy(account.id, "cheapest")
        quote, _ = await gw.quote_for(account, group.id, FIELDS, key_id=key.id)
        assert (quote.policy, quote.policy_source) == ("cheapest", "account")
        await gw.store.set_api_key_routing_policy(key.id, "best_value")
        quote, _ = await gw.quote_for(account, group.id, FIELDS, key_id=key.id)
        assert (quote.policy, quote.policy_source) == ("best_value", "key")
        quote, _ = await gw.quote_for(account, group.id, FIELDS, key_id=key.id, policy="fastest")
        assert (quote.policy, quote.policy_source) == ("fastest", "request")
        with pytest.raises(InvalidOrder, match="unknown routing policy 'dearest'"):
            await _quote(gw, "dearest")
        with pytest.raises(ValueError, match="dearest"):
            await gw.store.set_api_key_routing_policy(key.id, "dearest")
        row = await gw.place("acme", group.id, FIELDS, key_id=key.id)
        routed = [e for e in await gw.store.order_events(row.id) if e.kind == "routed"]
        created = [e for e in await gw.store.order_events(row.id) if e.kind == "created"]
        data = (routed or created)[0].data or {}
        assert (data["policy"], data["policy_source"]) == ("best_value", "key")


async def test_every_candidate_explains_its_rank(gw: Gateway, panels: ValuePanels) -> None:
    await _history(gw, panels, {"cheap": Outcome(delivered=Decimal("0.6")), "mid": Outcome()}, 12)
    for policy in ("cheapest", "best_value", "fastest"):
        quote = await _quote(gw, policy)
        assert quote.policy == policy
        assert len(quote.candidates) == 3
        for candidate in quote.candidates:
            assert candidate.reason
            assert not candidate.explored
            estimate = candidate.estimate
            assert estimate is not None
            assert estimate.cost_per_delivered_unit > 0
            assert estimate.expected_seconds >= 0
        dear = next(c.estimate for c in quote.candidates if c.offer.provider == "dear")
        assert dear is not None
        assert dear.service.orders == 0
        assert dear.samples == dict.fromkeys(dear.samples, 0)
        mid = next(c.estimate for c in quote.candidates if c.offer.provider == "mid")
        assert mid is not None
        assert mid.samples["start_seconds"] == 12


async def test_placing_reads_quality_only_for_a_policy_that_ranks_by_it(
    gw: Gateway, panels: ValuePanels, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A quote shows every candidate's estimate under any policy; an order placed under
    # `cheapest` is ranked on costs alone, so the quality book is not read for it.
    await _history(gw, panels, {"cheap": Outcome(delivered=Decimal("0.6"))}, 12)
    assert all(c.estimate is not None for c in (await _quote(gw, "cheapest")).candidates)
    reads = 0
    report = gw.quality.report

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await report(*args, **kwargs)

    monkeypatch.setattr(gw.quality, "report", counted)
    group = await product_group(gw)
    cheapest = await gw.place("shop", group.id, FIELDS, policy="cheapest")
    assert (cheapest.provider, reads) == ("cheap", 0)
    link = {**FIELDS, "link": "https://facebook.com/p/2"}
    valued = await gw.place("shop", group.id, link, policy="best_value")
    # best_value reads the book: the cheap panel's 60% deliveries make mid the better value.
    assert (valued.provider, reads) == ("mid", 1)


async def test_orders_arriving_together_share_their_key_read_and_see_a_change_at_once(
    gw: Gateway,
) -> None:
    group = await product_group(gw)
    key, _ = await gw.store.create_api_key("shop", "acme", ["order"])
    await gw.store.set_api_key_routing_policy(key.id, "fastest")
    reads = gw.orders.key_reads
    before = reads.reads
    quotes = await asyncio.gather(*(gw.quote(group.id, FIELDS, key_id=key.id) for _ in range(10)))
    assert {(q.policy, q.policy_source) for q in quotes} == {("fastest", "key")}
    made = reads.reads - before
    assert 0 < made < 10, f"ten quotes arriving together made {made} reads of their key"
    # A change committed after the reads is seen by the very next quote.
    await gw.store.set_api_key_routing_policy(key.id, "best_value")
    quote = await gw.quote(group.id, FIELDS, key_id=key.id)
    assert (quote.policy, quote.policy_source) == ("best_value", "key")
