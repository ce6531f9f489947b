from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from gateway.store import PriceChange, PriceChangeKind, Store

from .conftest import FakeClock


def _change(service: str, kind: str, old: str | None, new: str | None, clock: FakeClock,
            minutes: int) -> PriceChange:  # fmt: skip
    return PriceChange(
        provider="rizvi",
        provider_service_id=service,
        kind=kind,
        old_rate=None if old is None else Decimal(old),
        new_rate=None if new is None else Decimal(new),
        currency="USD",
        at=clock.now + timedelta(minutes=minutes),
    )


async def test_price_changes_are_recorded_and_read_in_order(store: Store, clock: FakeClock) -> None:
    await store.record_price_changes(
        [
            _change("1", "added", None, "0.27819", clock, 0),
            _change("1", "changed", "0.27819", "0.00000001", clock, 10),
            _change("2", "removed", "5", None, clock, 20),
        ]
    )
    await store.record_price_changes([])
    changes = await store.price_changes()
    assert [(c.provider_service_id, c.kind, c.old_rate, c.new_rate) for c in changes] == [
        ("1", PriceChangeKind.ADDED, None, Decimal("0.27819")),
        ("1", PriceChangeKind.CHANGED, Decimal("0.27819"), Decimal("0.00000001")),
        ("2", PriceChangeKind.REMOVED, Decimal("5"), None),
    ]
    assert all(c.id is not None for c in changes)
    assert changes[1].at == clock.now + timedelta(minutes=10)


async def test_price_changes_filter_by_time_and_page_by_id(store: Store, clock: FakeClock) -> None:
    await store.record_price_changes(
        [_change(str(i), "added", None, "1", clock, i) for i in range(10)]
    )
    recent = await store.price_changes(since=clock.now + timedelta(minutes=6))
    assert [c.provider_service_id for c in recent] == ["6", "7", "8", "9"]
    first = await store.price_changes(limit=4)
    rest = await store.price_changes(after_id=first[-1].id, limit=100)
    assert [c.provider_service_id for c in first + rest] == [str(i) for i in range(10)]
