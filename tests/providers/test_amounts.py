"""Amounts in text: decimal commas and grouped thousands read right, the ambiguous refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from providers.amounts import AmbiguousAmount, UnreadableAmount, read_decimal
from providers.errors import ProviderError
from providers.models import OrderStatus, to_decimal, to_int
from providers.parsing import parse_balance, parse_services, parse_status_batch


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0,90", "0.90"), ("1,234.50", "1234.50"), ("1.234,50", "1234.50"), ("1 234,5", "1234.5"),
     ("1\u00a0234,50", "1234.50"), ("1'234.50", "1234.50"), ("1,234,567", "1234567"),
     ("1.234.567", "1234567"), ("1.234.567,891", "1234567.891"), ("12,5", "12.5"),
     ("0,123", "0.123"), ("1234,567", "1234.567"), ("-0,5", "-0.5"), ("0.27819", "0.27819"),
     (" 8 ", "8"), ("1.234", "1.234"), ("1e3", "1E+3")],
)  # fmt: skip
def test_amounts_read_in_every_locale(text: str, expected: str) -> None:
    value = to_decimal(text)
    assert value == Decimal(expected)
    assert value.as_tuple() == Decimal(expected).as_tuple(), "the digits as written are kept"


@pytest.mark.parametrize("text", ["1,234", "12,345", "999,000", "-1,500"])
def test_a_single_comma_before_three_digits_is_ambiguous(text: str) -> None:
    with pytest.raises(AmbiguousAmount, match="ambiguous"):
        read_decimal(text)


@pytest.mark.parametrize(
    "text", ["1,23,456", "12,5.3", "1 234.567,5", "1,,234", "1,234,", ",5", "1.234,567.8", "-"]
)
def test_unevenly_grouped_or_mixed_text_is_unreadable(text: str) -> None:
    with pytest.raises(UnreadableAmount):
        read_decimal(text)


def test_a_count_reads_one_comma_as_grouped_thousands() -> None:
    # 1.234 is no count, so "1,234" can only be 1234.
    assert to_int("1,234") == 1234
    assert to_int("1 000 000") == 1_000_000
    with pytest.raises(ValueError, match="whole"):
        to_int("1,5")


def test_an_ambiguous_charge_fails_only_its_own_status() -> None:
    answer = {
        "101": {"status": "Completed", "charge": "1,234", "remains": "0"},
        "102": {"status": "In progress", "charge": "0,90", "remains": "1,000", "currency": "EUR"},
    }
    found = parse_status_batch(["101", "102"], answer, "USD")
    failed, read = found["101"], found["102"]
    assert isinstance(failed, ProviderError)
    assert "ambiguous amount: '1,234'" in failed.message
    assert "pydantic" not in failed.message
    assert isinstance(read, OrderStatus)
    assert read.charge is not None
    assert (read.charge.amount, read.charge.currency) == (Decimal("0.90"), "EUR")
    assert read.remains == 1000


def test_an_ambiguous_balance_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="ambiguous amount"):
        parse_balance({"balance": "2,500", "currency": "USD"}, "USD")
    assert parse_balance({"balance": "2.500,75"}, "EUR").amount == Decimal("2500.75")


def test_a_service_with_an_ambiguous_rate_is_left_out_alone() -> None:
    items = [
        {"service": 1, "name": "Likes", "type": "Default", "rate": "0,90", "min": 10, "max": 1000},
        {"service": 2, "name": "Views", "type": "Default", "rate": "1,500", "min": 10, "max": 10},
    ]
    [service] = parse_services(items, "EUR")
    assert (service.id, service.rate.amount) == ("1", Decimal("0.90"))
