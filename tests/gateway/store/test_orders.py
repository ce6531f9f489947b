from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.store import GatewayState, OrderNotFound, OrderRow, StaleOrder, Store
from providers.models import OrderRequest, OrderState

from .conftest import FakeClock

REQUEST = OrderRequest(service="7", link="https://instagram.com/x", quantity=1000)


async def test_create_order_records_the_request_and_a_created_event(store: Store) -> None:
    row = await store.create_order(
        client_id="acme",
        request=REQUEST,
        group_id=3,
        quoted_cost=Decimal("1.25"),
        currency="USD",
        event_data={"candidates": ["a", "b"]},
    )
    assert row.id > 0
    assert row.state == GatewayState.RECEIVED
    assert row.version == 1
    assert row.attempts == []
    assert row.order_request() == REQUEST
    assert row.request == {
        "service": "7",
        "service_type": "Default",
        "link": REQUEST.link,
        "quantity": 1000,
    }
    [event] = await store.order_events(row.id)
    assert (event.kind, event.from_state, event.to_state) == ("created", None, "RECEIVED")
    assert event.data == {"candidates": ["a", "b"]}
    assert await store.get_order(row.id) == row


async def test_update_order_bumps_the_version_and_records_the_transition(
    store: Store, clock: FakeClock
) -> None:
    row = await store.create_order(client_id="acme", request=REQUEST)
    clock.advance(seconds=5)
    routed = await store.update_order(
        row.id,
        expected_version=1,
        event_kind="routed",
        event_data={"provider": "rizvi"},
        provider="rizvi",
        provider_service_id="7",
        provider_cost=Decimal("0.9"),
        provider_currency="EUR",
    )
    placed = await store.update_order(
        row.id,
        expected_version=routed.version,
        event_kind="placed",
        state=OrderState.PENDING,
        provider_order_id="555",
        attempts=[{"provider": "other", "error": "Unavailable", "message": "502"}],
    )
    assert placed.version == 3
    assert placed.state == "PENDING"
    assert placed.provider == "rizvi"
    assert placed.provider_cost == Decimal("0.9")
    assert placed.attempts == [{"provider": "other", "error": "Unavailable", "message": "502"}]
    assert placed.updated_at == clock.now > placed.created_at
    history = await store.order_events(row.id)
    assert [(e.kind, e.from_state, e.to_state) for e in history] == [
        ("created", None, "RECEIVED"),
        ("routed", "RECEIVED", "RECEIVED"),
        ("placed", "RECEIVED", "PENDING"),
    ]
    assert history[1].data == {"provider": "rizvi"}


async def test_update_with_a_stale_version_changes_nothing(store: Store) -> None:
    row = await store.create_order(client_id="acme", request=REQUEST)
    await store.update_order(row.id, expected_version=1, event_kind="routed", provider="a")
    with pytest.raises(StaleOrder) as caught:
        await store.update_order(row.id, expected_version=1, event_kind="routed", provider="b")
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    current = await store.get_order(row.id)
    assert (current.provider, current.version) == ("a", 2)
    assert len(await store.order_events(row.id)) == 2


async def test_concurrent_updates_with_the_same_version_let_exactly_one_win(store: Store) -> None:
    row = await store.create_order(client_id="acme", request=REQUEST)
    results = await asyncio.gather(
        *(
            store.update_order(row.id, expected_version=1, event_kind="status", status_raw=str(i))
            for i in range(10)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, StaleOrder) for r in results if isinstance(r, BaseException))
    assert (await store.get_order(row.id)).version == 2


async def test_update_refuses_unknown_columns_states_and_orders(store: Store) -> None:
    row = await store.create_order(client_id="acme", request=REQUEST)
    with pytest.raises(TypeError, match="version"):
        await store.update_order(row.id, event_kind="x", version=9)
    with pytest.raises(ValueError, match="state"):
        await store.update_order(row.id, event_kind="x", state="DONE")
    with pytest.raises(OrderNotFound):
        await store.update_order(row.id + 100, event_kind="x", state="FAILED")
    with pytest.raises(OrderNotFound):
        await store.get_order(row.id + 100)


async def test_a_reused_provider_order_id_keeps_both_orders_and_finds_the_newest(
    store: Store,
) -> None:
    one = await store.create_order(client_id="acme", request=REQUEST)
    two = await store.create_order(client_id="acme", request=REQUEST)
    three = await store.create_order(client_id="acme", request=REQUEST)
    await store.update_order(one.id, event_kind="placed", provider="a", provider_order_id="9")
    await store.update_order(two.id, event_kind="placed", provider="b", provider_order_id="9")
    # A panel that was reset hands out id 9 again: the second placement is recorded too.
    await store.update_order(three.id, event_kind="placed", provider="a", provider_order_id="9")
    assert (await store.get_order(one.id)).provider_order_id == "9"
    assert (await store.get_order(three.id)).provider_order_id == "9"
    found = await store.find_by_provider_order("a", "9")
    assert found is not None
    assert found.id == three.id
    found = await store.find_by_provider_order("b", "9")
    assert found is not None
    assert found.id == two.id
    assert await store.find_by_provider_order("c", "9") is None


async def test_list_orders_pages_newest_first(store: Store) -> None:
    ids = [(await store.create_order(client_id="acme", request=REQUEST)).id for _ in range(7)]
    await store.create_order(client_id="other", request=REQUEST)
    pages: list[list[int]] = []
    after: int | None = None
    while page := await store.list_orders(client_id="acme", after_id=after, limit=3):
        pages.append([r.id for r in page])
        after = page[-1].id
    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[0:1]]
    assert len(await store.list_orders(limit=100)) == 8


async def test_list_orders_filters_by_state(store: Store) -> None:
    a = await store.create_order(client_id="acme", request=REQUEST)
    b = await store.create_order(client_id="acme", request=REQUEST)
    await store.update_order(b.id, event_kind="failed", state=GatewayState.FAILED, error="no")
    failed = await store.list_orders(states={"FAILED"})
    assert [r.id for r in failed] == [b.id]
    assert failed[0].error == "no"
    both = await store.list_orders(states={"FAILED", "RECEIVED"})
    assert [r.id for r in both] == [b.id, a.id]


async def test_get_orders_returns_the_existing_ones_in_the_order_asked(store: Store) -> None:
    a = await store.create_order(client_id="acme", request=REQUEST)
    b = await store.create_order(client_id="acme", request=REQUEST)
    rows = await store.get_orders([b.id, 999_999, a.id, b.id])
    assert [r.id for r in rows] == [b.id, a.id]


async def test_open_orders_due_skips_final_and_future_orders(
    store: Store, clock: FakeClock
) -> None:
    now = clock.now
    due_late = await store.create_order(
        client_id="c", request=REQUEST, state="IN_PROGRESS", next_poll_at=now - timedelta(minutes=5)
    )
    due = await store.create_order(
        client_id="c", request=REQUEST, state="PENDING", next_poll_at=now
    )
    await store.create_order(
        client_id="c", request=REQUEST, state="PENDING", next_poll_at=now + timedelta(seconds=1)
    )
    await store.create_order(
        client_id="c", request=REQUEST, state="COMPLETED", next_poll_at=now - timedelta(hours=1)
    )
    await store.create_order(
        client_id="c", request=REQUEST, state="FAILED", next_poll_at=now - timedelta(hours=1)
    )
    await store.create_order(client_id="c", request=REQUEST, state="PENDING")
    assert [r.id for r in await store.open_orders_due(now)] == [due_late.id, due.id]
    assert [r.id for r in await store.open_orders_due(now, limit=1)] == [due_late.id]


async def test_a_transaction_makes_several_writes_atomic(store: Store) -> None:
    async def write_then_fail() -> None:
        async with store.transaction() as tx:
            row = await store.create_order(client_id="acme", request=REQUEST, tx=tx)
            await store.update_order(row.id, event_kind="routed", provider="a", tx=tx)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert await store.list_orders() == []
    async with store.transaction() as tx:
        row = await store.create_order(client_id="acme", request=REQUEST, tx=tx)
        await store.update_order(row.id, event_kind="routed", provider="a", tx=tx)
    assert [e.kind for e in await store.order_events(row.id)] == ["created", "routed"]


async def test_an_update_of_the_same_columns_reuses_its_statement(
    store: Store, clock: FakeClock
) -> None:
    from gateway.store.order_changes import _update_statement

    rows = [await store.create_order(client_id="acme", request=REQUEST) for _ in range(3)]
    due = clock.now + timedelta(minutes=5)
    changes: dict[str, Any] = {
        "state": OrderState.PENDING, "provider_order_id": "p-1", "provider_cost": Decimal("0.12"),
        "attempts": [{"provider": "beta", "error": "Refused", "message": "no"}],
        "next_poll_at": due,
    }  # fmt: skip
    first = await store.update_order(
        rows[0].id, event_kind="placed", expected_version=rows[0].version,
        expected_state=rows[0].state, **changes,
    )  # fmt: skip
    built = _update_statement.cache_info().misses
    for row in rows[1:]:
        after = await store.update_order(
            row.id, event_kind="placed", expected_version=row.version,
            expected_state=row.state, **{**changes, "provider_order_id": f"p-{row.id}"},
        )  # fmt: skip
        # Each value reaches its own row through its column's type (money, JSON, time).
        assert (after.state, after.provider_order_id, after.provider_cost) == (
            OrderState.PENDING, f"p-{row.id}", Decimal("0.12"),
        )  # fmt: skip
        assert after.attempts == changes["attempts"]
        assert after.next_poll_at == due
        assert after.version == row.version + 1
    assert _update_statement.cache_info().misses == built
    assert first.provider_order_id == "p-1"
    assert (await store.get_order(rows[1].id)).provider_order_id == f"p-{rows[1].id}"


async def test_an_update_takes_values_never_sql(store: Store) -> None:
    from sqlalchemy import literal

    row = await store.create_order(client_id="acme", request=REQUEST)
    with pytest.raises(TypeError, match="values, not SQL: error"):
        await store.update_order(row.id, event_kind="note", error=literal("x"))
    assert (await store.get_order(row.id)).version == row.version


async def test_announce_queues_the_outbox_event_with_the_history_entry(
    store: Store, clock: FakeClock
) -> None:
    """On PostgreSQL the history entry and the outbox event go as one statement; on both
    databases each lands with its own values, from the row as the change left it, and rolls
    back with the change."""
    from gateway import events

    row = await store.create_order(
        client_id="acme", request=REQUEST, event_data={"candidates": ["a"]},
        announce=lambda created: events.order_event(None, created),
    )  # fmt: skip
    clock.advance(seconds=3)
    seen: list[int] = []

    def placed_event(after: OrderRow) -> events.Event | None:
        seen.append(after.version)
        return events.order_event(row, after, flag="checked")

    after = await store.update_order(
        row.id, event_kind="placed", expected_version=row.version, expected_state=row.state,
        event_data={"provider": "rizvi"}, announce=placed_event,
        state=OrderState.PENDING, provider="rizvi", provider_order_id="p-9",
    )  # fmt: skip
    assert seen == [row.version + 1]
    history = await store.order_events(row.id)
    assert [(e.kind, e.from_state, e.to_state, e.data) for e in history] == [
        ("created", None, "RECEIVED", {"candidates": ["a"]}),
        ("placed", "RECEIVED", "PENDING", {"provider": "rizvi"}),
    ]
    queued = await store.pending_outbox()
    expected = [events.order_event(None, row), events.order_event(row, after, flag="checked")]
    assert [(o.event_id, o.type, o.payload) for o in queued] == [
        (e.id, e.type, e.payload()) for e in expected if e is not None
    ]
    assert queued[1].payload["data"]["flag"] == "checked"
    assert [o.created_at for o in queued] == [row.created_at, after.updated_at]

    # The same event again is ignored (as `add_outbox` ignores it); no event, no outbox row.
    again = await store.update_order(
        row.id, event_kind="note", announce=lambda _: expected[1], error="x"
    )
    await store.update_order(row.id, event_kind="note", announce=lambda _: None, error="y")
    assert len(await store.order_events(row.id)) == 4
    assert [o.event_id for o in await store.pending_outbox()] == [o.event_id for o in queued]

    async def announced_then_failed() -> None:
        async with store.transaction() as tx:
            await store.update_order(
                row.id, event_kind="note", announce=lambda r: events.order_event(again, r),
                state=OrderState.COMPLETED, tx=tx,
            )  # fmt: skip
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await announced_then_failed()
    assert len(await store.pending_outbox()) == 2
    assert len(await store.order_events(row.id)) == 4
