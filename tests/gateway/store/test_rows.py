"""Rows built positionally (`order_row`) are the dataclass's own."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from gateway.store import OrderRow
from gateway.store.rows import order_row

AT = datetime(2026, 12, 5, 6, 30, tzinfo=UTC)


def values() -> list[Any]:
    row = OrderRow(
        id=7, client_id="client", request={"service": "1", "quantity": 100}, state="COMPLETED",
        version=4, created_at=AT, updated_at=AT, provider="alpha", provider_order_id="501",
        charge=Decimal("0.125"), flags=["overcharged"], account_id=3,
    )  # fmt: skip
    return [getattr(row, f.name) for f in dataclasses.fields(OrderRow)]


def test_a_row_built_positionally_equals_the_dataclass_row() -> None:
    given = values()
    built, expected = order_row(given), OrderRow(*given)
    assert built == expected
    assert dataclasses.astuple(built) == dataclasses.astuple(expected)
    assert repr(built) == repr(expected)


def test_a_row_built_positionally_is_frozen() -> None:
    built = order_row(values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.state = "PENDING"  # type: ignore[misc]


def test_a_row_built_positionally_takes_every_field() -> None:
    with pytest.raises(ValueError, match="shorter"):
        order_row(values()[:-1])
    with pytest.raises(ValueError, match="longer"):
        order_row([*values(), None])
