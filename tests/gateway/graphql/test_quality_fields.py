"""Provider quality where operators look: Provider.quality, each offer's quality, quotes with
each candidate's figures and expectations under a policy, placeOrder's policy, and /metrics;
client keys are refused these fields. The real app on loopback over both databases, with
orders of known outcomes recorded through the store (`tests.gateway.quality_outcomes`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from graphql import parse

from gateway.catalog import Group
from gateway.config import QualitySection, RoutingSection, Settings
from gateway.core import Gateway
from gateway.graphql.cost import CostModel
from gateway.graphql.schema import build_schema
from providers.models import ServiceType
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import order_input
from tests.gateway.graphql.server import ApiFactory, Server
from tests.gateway.panels import Trio, trio_settings
from tests.gateway.quality_outcomes import ALPHA, MIN_SAMPLE, record_outcomes

TOKEN_ENV = "SMM_GATEWAY_TEST_QUALITY_METRICS_TOKEN"
TOKEN = "a-quality-scrape-token-0123456789"
FIGURES = {
    "completion_rate": "completionRate", "partial_rate": "partialRate",
    "delivered_fraction": "deliveredFraction", "cancel_rate": "cancelRate",
    "failure_rate": "failureRate", "start_seconds": "startSeconds",
    "complete_seconds_per_1000": "completeSecondsPer1000",
    "refill_success_rate": "refillSuccessRate", "charge_fraction": "chargeFraction",
}  # fmt: skip
QUALITY = "days minSample orders refillsRequested " + " ".join(
    f"{name} {{ value sample }}" for name in FIGURES.values()
)
PLACES = Decimal("0.00000001")


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    base = trio_settings(trio, database_url, redis_url, namespace)
    return base.model_copy(
        update={
            "quality": QualitySection(min_sample=MIN_SAMPLE),
            # No exploration: the ranking is the policy's alone.
            "routing": RoutingSection(exploration_share=Decimal(0)),
            "api": base.api.model_copy(update={"metrics_token_env": TOKEN_ENV}),
        }
    )


@pytest.fixture
async def group(gw: Gateway, database_url: str) -> Group:
    """A service alpha, beta and gamma sell once each; alpha's and beta's with history."""
    snapshot = await gw.catalog.snapshot()
    found = next(
        g for _, g in sorted(snapshot.groups.items())
        if len(g.members) == 3 and len(g.providers) == 3 and g.type is ServiceType.DEFAULT
    )  # fmt: skip
    members = {m.provider: m.service.id for m in found.members}
    await record_outcomes(database_url, members["alpha"], members["beta"])
    return found


def figures(quality: dict[str, Any]) -> dict[str, tuple[Decimal | None, int]]:
    """A GraphQL `Quality`'s figures as (value, sample), by the core's names."""
    found = {}
    for name, remote in FIGURES.items():
        value = quality[remote]["value"]
        found[name] = (None if value is None else Decimal(value), quality[remote]["sample"])
    return found


def nothing(sample: int) -> dict[str, tuple[Decimal | None, int]]:
    return dict.fromkeys(FIGURES, (None, sample))


PROVIDERS = "{ providers { name quality { QUALITY } } }".replace("QUALITY", QUALITY)
MEMBERS = """query($id: Int!) { service(id: $id) { id name
  members { provider providerServiceId quality { QUALITY } } } }""".replace("QUALITY", QUALITY)


async def test_operators_read_each_figure_with_its_sample(
    group: Group, api: ApiFactory, keys: Keys
) -> None:
    for key in (keys.ops, keys.admin):
        providers = {p["name"]: p["quality"] for p in (await api(key).data(PROVIDERS))["providers"]}
        alpha = providers["alpha"]
        assert (alpha["days"], alpha["minSample"], alpha["orders"]) == (30, MIN_SAMPLE, 4)
        assert figures(alpha) == ALPHA
        # Two orders are below the minimum sample: no figure claimed, the sample still shown.
        beta = providers["beta"]
        assert beta["orders"] == 2
        assert figures(beta) == {
            **nothing(2), "refill_success_rate": (None, 0),
        }  # fmt: skip
        assert providers["gamma"]["orders"] == 0
        assert figures(providers["gamma"]) == nothing(0)

        service = (await api(key).data(MEMBERS, {"id": group.id}))["service"]
        offers = {m["provider"]: m for m in service["members"]}
        assert figures(offers["alpha"]["quality"]) == ALPHA
        assert offers["beta"]["quality"]["orders"] == 2
        assert figures(offers["gamma"]["quality"]) == nothing(0)


async def test_client_keys_are_refused_quality_as_other_operator_fields(
    group: Group, api: ApiFactory, keys: Keys
) -> None:
    for key in (keys.reader, keys.alice):
        answer = await api(key).execute(PROVIDERS)
        assert answer["data"] is None
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
        answer = await api(key).execute(MEMBERS, {"id": group.id})
        assert answer["data"]["service"]["members"] is None
        assert answer["data"]["service"]["id"] == group.id, "the rest of the answer stands"
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
        assert "quality" not in str(answer["data"]["service"])


QUOTE = """query($id: Int!, $quantity: BigInt, $policy: RoutingPolicy) {
  quote(serviceId: $id, quantity: $quantity, link: "https://instagram.com/p/q",
        policy: $policy) { __typename
    ... on Quote { policy policySource cost { amount }
      candidates { rank provider cost { amount currency } quality { QUALITY }
        expectedCostPerDeliveredUnit { amount currency } expectedCost { amount }
        expectedSeconds assumed reason explored } }
    ... on UserError { message } } }""".replace("QUALITY", QUALITY)
ESTIMATED = (
    "delivered_fraction", "charge_fraction", "completion_rate",
    "start_seconds", "complete_seconds_per_1000",
)  # fmt: skip


async def test_quotes_explain_each_candidate_under_the_policy_asked_for(
    group: Group, api: ApiFactory, keys: Keys
) -> None:
    quantity = int(order_input(group)["quantity"])
    ops = api(keys.ops)
    variables = {"id": group.id, "quantity": str(quantity), "policy": "BEST_VALUE"}
    quote = (await ops.data(QUOTE, variables))["quote"]
    assert (quote["policy"], quote["policySource"]) == ("BEST_VALUE", "request")
    by_provider = {c["provider"]: c for c in quote["candidates"]}
    assert set(by_provider) == {"alpha", "beta", "gamma"}
    assert [c["rank"] for c in quote["candidates"]] == [1, 2, 3]
    alpha = by_provider["alpha"]
    assert figures(alpha["quality"]) == ALPHA
    assert alpha["assumed"] == []
    # Charged 0.9 of the quote for 0.9 of the units: the quoted price per unit.
    cost = Decimal(alpha["cost"]["amount"])
    per_unit = cost * Decimal("0.9") / (Decimal("0.9") * quantity)
    assert alpha["expectedCostPerDeliveredUnit"] == {
        "amount": f"{per_unit.quantize(PLACES):f}", "currency": alpha["cost"]["currency"],
    }  # fmt: skip
    # Start 75 s (a quarter of orders re-ordered), 3,600 s per 1,000 (a tenth re-ordered).
    seconds = Decimal(75) * Decimal("1.25") + Decimal(3600) * quantity / 1000 * Decimal("1.1")
    assert Decimal(alpha["expectedSeconds"]) == seconds.quantize(Decimal(1))
    # The whole quantity: the expected charge over the delivered fraction; time is free here.
    whole = cost * Decimal("0.9") / Decimal("0.9")
    assert Decimal(alpha["expectedCost"]["amount"]) == whole.quantize(PLACES)
    gamma = by_provider["gamma"]
    assert gamma["assumed"] == list(ESTIMATED), "no history: every figure assumed neutral"
    gamma_cost = Decimal(gamma["cost"]["amount"])
    assert Decimal(gamma["expectedCostPerDeliveredUnit"]["amount"]) == (
        gamma_cost / quantity
    ).quantize(PLACES)
    assert Decimal(gamma["expectedCost"]["amount"]) == gamma_cost.quantize(PLACES)
    beta = by_provider["beta"]
    assert figures(beta["quality"])["completion_rate"] == (None, 2)
    assert all(c["reason"] and not c["explored"] for c in quote["candidates"])
    expected = [Decimal(c["expectedCost"]["amount"]) for c in quote["candidates"]]
    assert expected == sorted(expected), "best value ranks by the expected cost"
    assert quote["candidates"][0]["reason"].startswith("lowest expected cost")

    cheapest = (await ops.data(QUOTE, {**variables, "policy": None}))["quote"]
    assert (cheapest["policy"], cheapest["policySource"]) == ("CHEAPEST", "config")
    costs = [Decimal(c["cost"]["amount"]) for c in cheapest["candidates"]]
    assert costs == sorted(costs)
    assert cheapest["candidates"][0]["reason"] == "lowest quoted cost"
    assert cheapest["cost"]["amount"] == cheapest["candidates"][0]["cost"]["amount"]


async def test_a_client_key_quotes_with_a_policy_but_sees_no_candidates(
    group: Group, api: ApiFactory, keys: Keys
) -> None:
    quantity = str(order_input(group)["quantity"])
    variables = {"id": group.id, "quantity": quantity, "policy": "FASTEST"}
    answer = await api(keys.alice).execute(QUOTE, variables)
    quote = answer["data"]["quote"]
    assert (quote["policy"], quote["policySource"]) == ("FASTEST", "request")
    assert quote["candidates"] is None
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}


PLACE = """mutation($input: OrderInput!) { placeOrder(input: $input) { __typename
  ... on PlaceOrderSuccess { order { id provider } } ... on UserError { message } } }"""


async def test_place_order_routes_by_the_policy_of_its_input(
    group: Group, api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    quantity = order_input(group)["quantity"]
    chosen = (
        await api(keys.admin).data(
            QUOTE, {"id": group.id, "quantity": str(quantity), "policy": "BEST_VALUE"}
        )
    )["quote"]["candidates"][0]["provider"]
    placed = (
        await api(keys.admin).data(
            PLACE, {"input": {**order_input(group, 7), "policy": "BEST_VALUE"}}
        )
    )["placeOrder"]
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    assert placed["order"]["provider"] == chosen
    history = await gw.store.order_events(int(placed["order"]["id"]))
    assert history[0].kind == "created"
    routing = history[0].data or {}
    assert routing["policy"] == "best_value"
    assert routing["policy_source"] == "request"
    assert routing["candidates"][0] == chosen
    refused = await api(keys.admin).execute(
        PLACE, {"input": {**order_input(group, 8), "policy": "SLOWEST"}}
    )
    assert refused["errors"]
    assert refused.get("data") is None


async def test_metrics_scrape_shows_the_quality_gauges(
    group: Group, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    async with httpx.AsyncClient(timeout=30) as client:
        scraped = await client.get(
            server.base_url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert scraped.status_code == 200
    lines = set(scraped.text.splitlines())
    assert 'smmgw_provider_completion_rate{provider="alpha"} 0.75' in lines
    assert 'smmgw_provider_delivered_fraction{provider="alpha"} 0.9' in lines
    assert 'smmgw_provider_start_seconds{provider="alpha"} 75.0' in lines
    assert 'smmgw_provider_quality_sample{figure="completion_rate",provider="alpha"} 4.0' in lines
    # Beta's two orders: the sample is shown, no value is claimed.
    assert 'smmgw_provider_quality_sample{figure="completion_rate",provider="beta"} 2.0' in lines
    assert not any(
        line.startswith('smmgw_provider_completion_rate{provider="beta"}') for line in lines
    )


def test_figures_cost_nothing_beyond_the_quality_they_belong_to() -> None:
    model = CostModel.of(build_schema()._schema)
    every = model.cost(parse("{ providers { quality { " + QUALITY + " } } }"))
    one = model.cost(parse("{ providers { quality { orders } } }"))
    assert every.total == one.total
    without = model.cost(parse("{ providers { name } }"))
    assert one.total > without.total, "reading quality costs"


async def test_place_order_split_on_request_makes_one_order_of_children(
    group: Group, api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    total = 3 * max(m.service.min for m in group.members)
    given = {**order_input(group, 9), "quantity": str(total), "split": True}
    placed = (await api(keys.admin).data(PLACE, {"input": given}))["placeOrder"]
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    parent = int(placed["order"]["id"])
    children = (await gw.store.children_of([parent]))[parent]
    assert len(children) >= 2, "asked to split: shared over several providers"
    assert len({c.provider for c in children}) == len(children)
    assert sum(int(c.request["quantity"]) for c in children) == total
    alone = {**given, "link": "https://instagram.com/p/10", "split": None}
    single = (await api(keys.admin).data(PLACE, {"input": alone}))["placeOrder"]
    assert single["__typename"] == "PlaceOrderSuccess", single
    assert single["order"]["provider"] is not None
    one = int(single["order"]["id"])
    assert await gw.store.children_of([one]) == {}, "not asked to split: one provider's order"


async def test_a_client_lists_its_split_order_as_one_order(
    group: Group, api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    total = 3 * max(m.service.min for m in group.members)
    given = {**order_input(group, 11), "quantity": str(total), "split": True}
    mine = """mutation($input: OrderInput!) { placeOrder(input: $input) { __typename
      ... on PlaceOrderSuccess { order { id } } } }"""
    placed = (await api(keys.alice).data(mine, {"input": given}))["placeOrder"]
    assert placed["__typename"] == "PlaceOrderSuccess", placed
    parent = int(placed["order"]["id"])
    children = (await gw.store.children_of([parent]))[parent]
    assert len(children) >= 2
    listing = "{ orders(first: 50) { edges { node { id } } } }"

    def ids(answer: dict[str, Any]) -> set[int]:
        return {int(e["node"]["id"]) for e in answer["orders"]["edges"]}

    assert ids(await api(keys.alice).data(listing)) == {parent}, "the client sees one order"
    everything = ids(await api(keys.admin).data(listing))
    assert {parent, *(c.id for c in children)} <= everything, "the operator sees its parts"
