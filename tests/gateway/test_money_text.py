"""Money never leaves the gateway in exponent form: ``1E-7`` is written ``0.0000001``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.balances import ProviderBalance
from gateway.cli.output import _plain
from gateway.events import order_data
from gateway.graphql.scalars import serialize_decimal
from gateway.rest.v2_shapes import money_text, status_entry
from gateway.store import OrderRow, PriceChange, PriceChangeKind
from gateway.workers.balances import low_balance_event
from gateway.workers.catalog import price_event
from providers.models import Money

AT = datetime(2026, 1, 2, tzinfo=UTC)
# What PostgreSQL's numeric and Decimal arithmetic hand back for tiny and zero amounts.
CASES = [(Decimal("1E-7"), "0.0000001"), (Decimal("0E-8"), "0.00000000")]


def _order(charge: Decimal) -> OrderRow:
    return OrderRow(
        id=1, client_id="c", request={"service": "1", "link": "x", "quantity": 10},
        state="COMPLETED", version=3, created_at=AT, updated_at=AT, provider="alpha",
        quoted_cost=charge, currency="USD", provider_cost=charge, provider_currency="USD",
        charge=charge, charge_currency="USD",
    )  # fmt: skip


@pytest.mark.parametrize(("amount", "text"), CASES)
def test_graphql_decimals_are_plain(amount: Decimal, text: str) -> None:
    assert serialize_decimal(amount) == text


@pytest.mark.parametrize(("amount", "text"), CASES)
def test_event_payloads_are_plain(amount: Decimal, text: str) -> None:
    data = order_data(_order(amount))
    assert (data["cost"], data["charge"]) == (text, text)
    change = PriceChange("alpha", "7", PriceChangeKind.CHANGED, amount, amount, "USD", AT, id=4)
    priced = price_event(change).payload()["data"]
    assert (priced["old_rate"], priced["new_rate"]) == (text, text)
    money = Money(amount=amount, currency="USD")
    low = low_balance_event(ProviderBalance("alpha", money, money, AT, low=True)).payload()
    assert (low["data"]["balance"], low["data"]["base"]) == (text, text)
    assert "E" not in json.dumps(low)


@pytest.mark.parametrize(("amount", "text"), CASES)
def test_cli_json_and_money_text_are_plain(amount: Decimal, text: str) -> None:
    assert _plain({"charge": amount, "list": [amount]}) == {"charge": text, "list": [text]}
    assert str(Money(amount=amount, currency="EUR")) == f"{text} EUR"


@pytest.mark.parametrize(("amount", "_text"), CASES)
def test_v2_money_is_five_places_never_an_exponent(amount: Decimal, _text: str) -> None:
    assert money_text(amount) == "0.00000"
    assert money_text(Decimal("1E+3")) == "1000.00000"
    entry = status_entry(_order(amount), "USD", lambda _c: Decimal(1))
    assert entry["charge"] == "0.00000"
