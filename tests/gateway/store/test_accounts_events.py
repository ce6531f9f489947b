"""The account events: recorded in the outbox with the change they describe, known to webhook
endpoints, and the margin guard's event as placement records it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from gateway import events
from gateway.store import Store
from gateway.webhooks.endpoints import check_event_types

from .accounts_helpers import funded
from .conftest import FakeClock

ACCOUNT_EVENTS = ["account.topped_up", "account.balance_low", "service.margin_breached"]


@pytest.fixture(autouse=True)
async def ledger_adds_up(store: Store) -> AsyncIterator[None]:
    yield
    assert await store.ledger_problems() == []


def test_webhook_endpoints_may_subscribe_to_the_account_events() -> None:
    assert check_event_types(ACCOUNT_EVENTS) == ACCOUNT_EVENTS


async def test_a_margin_breach_is_recorded_with_the_rates(store: Store, clock: FakeClock) -> None:
    account = await funded(store, funds=None)
    event = events.margin_breached(account, 12, Decimal("1.25"), Decimal("1.2"), clock.now)
    async with store.transaction() as tx:
        await events.record(store, tx, [event])
    [row] = await store.pending_outbox()
    assert (row.event_id, row.type) == (event.id, "service.margin_breached")
    assert row.payload["data"] == {
        "account": "shop", "account_id": account.id, "service_id": 12,
        "cost_rate": "1.25", "price_rate": "1.2",
    }  # fmt: skip
    later = events.margin_breached(
        account, 12, Decimal("1.25"), Decimal("1.2"), clock.advance(seconds=1)
    )
    assert later.id != event.id  # each refusal is its own event


async def test_a_top_up_rolled_back_leaves_no_event(store: Store) -> None:
    account = await funded(store, funds=None)

    async def top_up_then_fail() -> None:
        async with store.transaction() as tx:
            await store.top_up(account.id, Decimal("5"), reason=None, tx=tx)
            raise RuntimeError("not committed")

    with pytest.raises(RuntimeError):
        await top_up_then_fail()
    assert await store.pending_outbox() == []
    assert await store.movements(account.id) == []


async def test_account_events_show_the_account_after_the_movement(store: Store) -> None:
    account = await funded(store, funds=None, credit_limit=Decimal("10"), low_balance=Decimal("1"))
    movement = await store.top_up(account.id, Decimal("5"), reason="card")
    await store.adjust(account.id, Decimal("-4.5"), reason="fee")
    topped, low = await store.pending_outbox()
    assert topped.event_id == f"evt_account_{account.id}_topped_up_{movement.id}"
    assert topped.payload["data"]["account"] == {
        "id": account.id, "name": "shop", "currency": "USD", "state": "active",
        "balance": "5", "held": "0", "credit_limit": "10", "available": "15", "low_balance": "1",
    }  # fmt: skip
    assert topped.payload["data"]["movement"]["reason"] == "card"
    assert low.type == "account.balance_low"
    assert low.payload["data"]["account"]["balance"] == "0.5"
    assert low.payload["data"]["movement"]["kind"] == "adjustment"
