"""An account's order routed by best_value to a dearer member than the cheapest: the client pays
the rate `services` lists (priced over the cheapest member), never the chosen member's own
marked-up rate, and a chosen member that price would lose money on is passed over. Three
simulated panels (cheap, mid, dear) over loopback HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from decimal import Decimal

import pytest

from gateway.accounts.pricing import PriceList, listing_rate, round_up
from gateway.core import Gateway
from gateway.routing import Exclusion
from gateway.store.rows import AccountRow
from providers.models import OrderState
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
QUANTITY = 1000


@pytest.fixture
def panels() -> Iterator[ValuePanels]:
    with ExitStack() as stack:
        yield start_value_panels(stack)


@pytest.fixture
async def gw(
    panels: ValuePanels, database_url: str, redis_url: str, namespace: str
) -> AsyncIterator[Gateway]:
    settings = value_settings(panels, database_url, redis_url, namespace)
    async with value_gateway(settings, panels) as gateway:
        # The cheap panel delivers 60% of each order and keeps the whole charge: best_value
        # prefers the mid panel (0.50 / 0.6 = 0.83 per delivered 1,000 against 0.80).
        history = {
            "cheap": Outcome(delivered=Decimal("0.6"), charged=Decimal(1)),
            "mid": Outcome(),
            "dear": Outcome(),
        }
        for name, outcome in history.items():
            service = panels.services[name]
            await record_orders(gateway, panels.time, name, service, RATES[name], 12, outcome)
        await gateway.quality.report(fresh=True)
        await gateway.catalog.sync()
        yield gateway


async def funded(gw: Gateway, name: str, markup: str) -> AccountRow:
    prices = PriceList(markup_percent=Decimal(markup)).model_dump(mode="json")
    account = await gw.store.create_account(name, currency=gw.base_currency, price_list=prices)
    await gw.store.top_up(account.id, Decimal(100), reason="test funds")
    fresh = await gw.store.account_by_id(account.id)
    assert fresh is not None
    return fresh


async def test_best_value_choosing_a_dearer_member_charges_the_listed_rate(
    gw: Gateway, panels: ValuePanels
) -> None:
    group = await product_group(gw)
    fields = {"link": "https://facebook.com/p/1", "quantity": QUANTITY}
    value = await gw.quote(group.id, fields, policy="best_value")
    assert [c.offer.provider for c in value.candidates][:2] == ["mid", "cheap"]

    # 100% over the cheapest: 1.00 per 1000, a margin on mid (0.80) too. Mid takes it.
    wide = await funded(gw, "wide", "100")
    listed = listing_rate(PriceList.model_validate(wide.price_list), "skip", group)
    assert listed == round_up(RATES["cheap"] * 2)
    order = await gw.place("wide", group.id, fields, account=wide, policy="best_value")
    assert order.state == OrderState.PENDING
    assert order.provider == "mid", "the policy's choice stands"
    assert order.client_rate == listed, "not mid's own 0.80 marked up to 1.60"
    assert order.client_price == round_up(listed * QUANTITY / 1000)
    assert order.quoted_cost is not None
    assert order.client_price > order.quoted_cost

    # 20% over the cheapest: 0.60 per 1000 would sell mid's 0.80 at a loss, so the order goes
    # to the cheap panel at the listed rate.
    narrow = await funded(gw, "narrow", "20")
    listed = listing_rate(PriceList.model_validate(narrow.price_list), "skip", group)
    assert listed == round_up(RATES["cheap"] * Decimal("1.2"))
    quoted, price = await gw.quote_for(narrow, group.id, fields, policy="best_value")
    assert price is not None
    assert price.rate == listed
    assert [c.offer.provider for c in quoted.candidates] == ["cheap"]
    passed_over = {e.offer.provider: e.reason for e in quoted.excluded}
    assert passed_over == {"mid": Exclusion.MARGIN_BREACHED, "dear": Exclusion.MARGIN_BREACHED}
    order = await gw.place(
        "narrow", group.id, dict(fields, link="https://facebook.com/p/2"),
        account=narrow, policy="best_value",
    )  # fmt: skip
    assert order.provider == "cheap"
    assert order.client_rate == listed
    assert order.client_price == round_up(listed * QUANTITY / 1000)
    held = await gw.store.account_by_id(narrow.id)
    assert held is not None
    assert held.held == order.client_price
    assert await gw.store.ledger_problems() == []
