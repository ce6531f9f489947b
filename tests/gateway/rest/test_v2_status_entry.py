"""``status_entry``, the shape of one order in ``/api/v2 status``, over built ledger rows: every
key as panels write it, the charge's conversion and its fallbacks, the remains of an order not
yet started. No server: the served answers are in ``test_v2_calls.py`` and
``test_v2_charges.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from gateway.config import ConfigError
from gateway.rest.v2_shapes import money_text, status_entry
from gateway.store import GatewayState, OrderRow
from providers.models import OrderState

RATES = {"USD": Decimal(1), "EUR": Decimal("1.08")}
REQUEST = {"service": "7", "link": "https://instagram.com/p/1", "quantity": 1500}


def to_usd(currency: str) -> Decimal:
    try:
        return RATES[currency]
    except KeyError:
        raise ConfigError(f"no [currency_rates] entry for {currency}") from None


def row(**changes: Any) -> OrderRow:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": 1, "client_id": "c", "request": REQUEST, "state": OrderState.IN_PROGRESS.value,
        "version": 2, "created_at": now, "updated_at": now, "provider": "alpha",
        "quoted_cost": Decimal("9.99"), "currency": "USD", "provider_currency": "USD",
        "charge": Decimal("1.25"), "start_count": 120, "remains": 300,
    }  # fmt: skip
    return OrderRow(**{**fields, **changes})


def test_every_key_in_the_panels_order_and_as_text() -> None:
    entry = status_entry(row(), "USD", to_usd)
    assert entry == {
        "charge": "1.25000", "start_count": "120", "status": "In progress", "remains": "300",
        "currency": "USD",
    }  # fmt: skip
    assert list(entry) == ["charge", "start_count", "status", "remains", "currency"]


def test_the_charge_is_in_the_currency_the_panel_charged_in() -> None:
    # The charge's own currency wins over the provider's listed one.
    charged = row(charge=Decimal("5.00"), provider_currency="USD", charge_currency="EUR")
    assert status_entry(charged, "USD", to_usd)["charge"] == "5.40000"
    listed = row(charge=Decimal("5.00"), provider_currency="EUR", charge_currency=None)
    assert status_entry(listed, "USD", to_usd)["charge"] == "5.40000"


def test_a_charge_in_a_currency_without_a_rate_shows_the_quoted_cost() -> None:
    unknown = row(charge=Decimal("5.00"), provider_currency="RUB", quoted_cost=Decimal("0.07"))
    assert status_entry(unknown, "USD", to_usd)["charge"] == "0.07000"


def test_an_order_without_a_charge_yet_shows_the_quoted_cost() -> None:
    assert status_entry(row(charge=None), "USD", to_usd)["charge"] == "9.99000"
    bare = row(charge=None, quoted_cost=None)
    assert status_entry(bare, "USD", to_usd)["charge"] == "0.00000"
    nowhere = row(charge=None, provider_currency=None, quoted_cost=Decimal("2.5"))
    assert status_entry(nowhere, "USD", to_usd)["charge"] == "2.50000"
    # A charge in no known currency cannot be converted: the quoted cost again.
    unnamed = row(charge=Decimal("5"), provider_currency=None, quoted_cost=Decimal("2.5"))
    assert status_entry(unnamed, "USD", to_usd)["charge"] == "2.50000"


def test_a_failed_order_cost_nothing_whatever_it_was_quoted() -> None:
    failed = row(state=GatewayState.FAILED.value, charge=None, provider=None, remains=None)
    entry = status_entry(failed, "USD", to_usd)
    assert entry["charge"] == "0.00000"
    assert entry["status"] == "Canceled"


def test_an_order_not_yet_started_has_all_of_it_to_deliver() -> None:
    waiting = row(state=GatewayState.RECEIVED.value, start_count=None, remains=None)
    entry = status_entry(waiting, "USD", to_usd)
    assert (entry["start_count"], entry["remains"], entry["status"]) == ("0", "1500", "Pending")
    dripped = row(request={**REQUEST, "runs": 3, "interval": 10}, start_count=None, remains=None)
    assert status_entry(dripped, "USD", to_usd)["remains"] == "4500", "every run of a drip-feed"
    unreadable = row(request={"service": "7"}, start_count=None, remains=None)
    assert status_entry(unreadable, "USD", to_usd)["remains"] == "0"
    finished = row(state=OrderState.COMPLETED.value, remains=0, start_count=0)
    assert (status_entry(finished, "USD", to_usd)["remains"]) == "0"


@pytest.mark.parametrize(
    ("state", "raw", "text"),
    [(OrderState.PENDING.value, None, "Pending"), (OrderState.PARTIAL.value, None, "Partial"),
     (OrderState.COMPLETED.value, "completed", "Completed"),
     (GatewayState.UNCONFIRMED.value, None, "Pending"),
     (OrderState.UNKNOWN.value, "Stuck in space", "Stuck in space"),
     (OrderState.UNKNOWN.value, None, "Pending")],
)  # fmt: skip
def test_the_status_text(state: str, raw: str | None, text: str) -> None:
    assert status_entry(row(state=state, status_raw=raw), "USD", to_usd)["status"] == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [("0.000005", "0.00001"), ("0.0000049", "0.00000"), ("2.000015", "2.00002"),
     ("1E-7", "0.00000"), ("12345678.9", "12345678.90000"), ("-0.000005", "-0.00001")],
)  # fmt: skip
def test_money_is_five_places_rounded_half_up_never_an_exponent(amount: str, text: str) -> None:
    assert money_text(Decimal(amount)) == text
