"""Reserving client prices on an account's funds as read, in this process."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from gateway.orders.funds_in_flight import FundsInFlight
from gateway.store.rows import AccountRow

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def account(balance: str = "10", **changes: object) -> AccountRow:
    row = AccountRow(
        id=7, name="shop", currency="USD", state="active", balance=Decimal(balance),
        held=Decimal(0), price_list={}, margin_policy="skip", created_at=NOW, updated_at=NOW,
        version=1,
    )  # fmt: skip
    return replace(row, **changes)  # type: ignore[arg-type]


def test_reservations_take_the_funds_as_read_until_released() -> None:
    funds = FundsInFlight()
    shop = account("10")
    first = funds.reserve(shop, Decimal("6"))
    assert first is not None
    assert funds.reserve(shop, Decimal("5")) is None, "6 reserved, 4 left"
    second = funds.reserve(shop, Decimal("4"))
    assert second is not None
    assert funds.pending(shop.id) == Decimal("10")
    first.release()
    first.release()  # twice: released once
    assert funds.pending(shop.id) == Decimal("4")
    assert funds.reserve(shop, Decimal("6")) is not None
    assert funds.pending(shop.id) == Decimal("10")


def test_the_credit_limit_counts_and_other_accounts_are_apart() -> None:
    funds = FundsInFlight()
    assert funds.reserve(account("10", credit_limit=Decimal("5")), Decimal("15")) is not None
    assert funds.reserve(account("10", id=8), Decimal("10")) is not None
    assert funds.reserve(account("10"), Decimal("0.01")) is None


def test_what_only_the_ledger_can_check_is_never_reserved() -> None:
    funds = FundsInFlight()
    assert funds.reserve(account(spend_cap_day=Decimal(100)), Decimal(1)) is None
    assert funds.reserve(account(spend_cap_month=Decimal(100)), Decimal(1)) is None
    assert funds.reserve(account(state="suspended"), Decimal(1)) is None
    assert funds.reserve(account("0"), Decimal(1)) is None
    assert funds.pending(7) == 0
