"""The status sync's write path: event payloads built without pydantic, and group commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from gateway import events
from gateway.store import OrderRow
from gateway.store.sync_apply import changed_row
from gateway.workers.sync_events import order_payload
from gateway.workers.sync_writes import GroupWrites

AT = datetime(2026, 11, 29, 5, 20, tzinfo=UTC)


def order(**values: object) -> OrderRow:
    base = OrderRow(
        id=12, client_id="client", request={"service": "1", "quantity": 100}, state="PENDING",
        version=3, created_at=AT, updated_at=AT, group_id=7, provider="alpha",
        provider_service_id="1", provider_order_id="501", quoted_cost=Decimal("0.1250"),
        currency="USD", provider_cost=Decimal("0.1"), provider_currency="USD",
    )  # fmt: skip
    return changed_row(base, values)


CHANGES = [
    {"state": "IN_PROGRESS", "status_raw": "In progress", "start_count": 5, "remains": 100},
    {"state": "COMPLETED", "charge": Decimal("0.00000010"), "charge_currency": "USD"},
    {"state": "PARTIAL", "remains": 40, "flags": ["overcharged"], "charge": Decimal("1E+1")},
    {"state": "CANCELED", "updated_at": AT + timedelta(microseconds=400)},
    {"state": "PENDING", "error": "Incorrect order ID", "updated_at": AT + timedelta(seconds=1)},
    {"state": "IN_PROGRESS", "updated_at": AT.astimezone(timezone(timedelta(hours=2)))},
    {"state": "COMPLETED", "account_id": 4, "client_price": Decimal("2.5"),
     "client_currency": "EUR", "client_charge": Decimal("2.50")},
    {"state": "PENDING"},
]  # fmt: skip


@pytest.mark.parametrize("values", CHANGES)
def test_a_payload_is_the_events_own(values: dict[str, object]) -> None:
    before = order()
    after = changed_row(before, values, version=before.version + 1)
    event = events.order_event(before, after)
    expected = None if event is None else (event.id, event.type, event.payload())
    assert order_payload(before, after) == expected


async def test_batches_are_written_in_groups_and_every_one_is_written() -> None:
    written: list[list[int]] = []
    started, gate = asyncio.Event(), asyncio.Event()

    async def write(group: list[int]) -> None:
        written.append(group)
        started.set()
        await gate.wait()

    async def release(group: list[int]) -> None:
        raise AssertionError(f"nothing is released when the writes finish: {group}")

    writes = GroupWrites(write, release, most=3)
    await writes.add(0)  # the first write starts with it alone and waits on the gate
    await started.wait()
    for n in range(1, 4):
        await writes.add(n)  # three waiting: no lane waits yet
    gate.set()
    await writes.close()
    assert written == [[0], [1, 2, 3]]


async def test_a_cancelled_sync_releases_what_it_did_not_write() -> None:
    released: list[int] = []
    started = asyncio.Event()

    async def write(group: list[int]) -> None:
        started.set()
        await asyncio.Event().wait()  # never finishes: cancelled below

    async def release(group: list[int]) -> None:
        released.extend(group)

    writes = GroupWrites(write, release, most=2)
    await writes.add(0)
    await started.wait()
    await writes.add(1)
    await writes.abort()
    assert sorted(released) == [0, 1]


async def test_a_failed_write_stops_the_lanes_with_its_error() -> None:
    async def write(group: list[int]) -> None:
        raise RuntimeError("disk full")

    async def release(group: list[int]) -> None:
        raise AssertionError("a failed write keeps its claims")

    writes = GroupWrites(write, release)
    await writes.add(0)
    with pytest.raises(RuntimeError, match="disk full"):
        await writes.close()
    with pytest.raises(RuntimeError, match="disk full"):
        await writes.add(1)


def test_payloads_in_turn_each_read_their_own_time() -> None:
    # One instant in two zones, then a later one: the text kept for the last time given is
    # never another's.
    before = order()
    times = [AT, AT.astimezone(timezone(timedelta(hours=2))), AT, AT + timedelta(seconds=1)]
    for at in [*times, *times]:
        after = changed_row(before, {"state": "COMPLETED"}, version=4, updated_at=at)
        event = events.order_event(before, after)
        assert event is not None
        assert order_payload(before, after) == (event.id, event.type, event.payload())
