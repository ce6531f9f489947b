from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from gateway.store import PriceChange, Store
from gateway.store.tables import orders, price_changes
from gateway.store.types import canonical_amount, to_json

AMOUNTS = [
    Decimal("0.00000001"),
    Decimal("123456789.123456789"),
    Decimal("0.27819"),
    Decimal("99999999999999.9999999999"),
    Decimal("-12.5"),
    Decimal("1E+3"),
    Decimal("0"),
]


@pytest.mark.parametrize("amount", AMOUNTS, ids=str)
async def test_money_round_trips_exactly(store: Store, amount: Decimal) -> None:
    row = await store.create_order(
        client_id="c", request={"service": "1"}, quoted_cost=amount, currency="USD"
    )
    again = await store.get_order(row.id)
    assert isinstance(again.quoted_cost, Decimal)
    assert again.quoted_cost == amount
    # The same representation on both backends, not merely an equal value.
    assert again.quoted_cost.as_tuple() == canonical_amount(amount).as_tuple()


async def test_money_is_stored_as_exact_text_on_sqlite_and_numeric_on_postgresql(
    store: Store,
) -> None:
    row = await store.create_order(
        client_id="c", request={"service": "1"}, quoted_cost=Decimal("0.00000001")
    )
    async with store.engine.connect() as conn:
        raw = (
            await conn.execute(
                text("SELECT quoted_cost FROM orders WHERE id = :id"), {"id": row.id}
            )
        ).scalar_one()
    if store.dialect == "sqlite":
        assert raw == "0.00000001"
    else:
        assert raw == Decimal("0.00000001")


def test_canonical_amount_rounds_to_ten_places_half_even() -> None:
    assert canonical_amount(Decimal("0.00000000005")) == Decimal(0)
    assert canonical_amount(Decimal("0.00000000015")) == Decimal("0.0000000002")
    assert canonical_amount(Decimal("0.00000000025")) == Decimal("0.0000000002")
    assert str(canonical_amount(Decimal("1.2300"))) == "1.23"
    assert str(canonical_amount(Decimal("1E+2"))) == "100"


def test_money_refuses_floats_and_out_of_range_amounts() -> None:
    with pytest.raises(TypeError, match="float"):
        canonical_amount(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        canonical_amount(Decimal("1E+14"))
    with pytest.raises(ValueError, match="finite"):
        canonical_amount(Decimal("NaN"))


async def test_timestamps_come_back_aware_utc(store: Store) -> None:
    kyiv = timezone(timedelta(hours=2))
    at = datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=kyiv)
    row = await store.create_order(client_id="c", request={"service": "1"}, next_poll_at=at)
    again = await store.get_order(row.id)
    assert again.next_poll_at == at
    assert again.next_poll_at is not None
    assert again.next_poll_at.tzinfo == UTC
    assert again.created_at.tzinfo == UTC


async def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime") as caught:
        await store.create_order(
            client_id="c", request={"service": "1"}, next_poll_at=datetime(2026, 1, 1)
        )
    assert isinstance(caught.value.orig, ValueError), "refused by our type, not by the driver"
    assert await store.list_orders(None, None, None, 10) == []


async def test_decimals_inside_json_are_stored_as_strings(store: Store) -> None:
    row = await store.create_order(
        client_id="c",
        request={"service": "1", "quantity": 100},
        event_data={"rate": Decimal("0.00000001")},
    )
    assert row.request == {"service": "1", "quantity": 100}
    [event] = await store.order_events(row.id)
    assert event.data == {"rate": "0.00000001"}


def test_to_json_copies_every_shape_it_is_given() -> None:
    class Kind(StrEnum):
        DEFAULT = "Default"

    class Rank(IntEnum):
        FIRST = 1

    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    value = {
        1: [Decimal("1E+3"), (Kind.DEFAULT, Rank.FIRST), True, None, 0.5, "s"],
        "nested": MappingProxyType({"at": at, "on": at.date(), "set": frozenset({Decimal(2)})}),
    }
    assert to_json(value) == {
        "1": ["1000", ["Default", 1], True, None, 0.5, "s"],
        "nested": {"at": "2026-01-02T03:04:05+00:00", "on": "2026-01-02", "set": ["2"]},
    }
    assert type(to_json(Rank.FIRST)) is int
    assert type(to_json(Kind.DEFAULT)) is str


async def test_text_timestamps_on_sqlite_compare_in_time_order(store: Store) -> None:
    # SQLite compares the stored text; a fixed-width UTC form keeps that equal to time order.
    early = datetime(2026, 1, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # 04:00Z next day
    late = datetime(2026, 1, 2, 5, 0, tzinfo=UTC)
    await store.record_price_changes(
        [
            PriceChange("p", "1", "added", None, Decimal(1), "USD", late),
            PriceChange("p", "2", "added", None, Decimal(1), "USD", early),
        ]
    )
    cut = datetime(2026, 1, 2, 4, 30, tzinfo=UTC)
    async with store.engine.connect() as conn:
        found = await conn.execute(
            select(price_changes.c.provider_service_id).where(price_changes.c.at >= cut)
        )
        assert found.scalars().all() == ["1"]
    assert orders.c.quoted_cost.type.python_type is Decimal
