"""Settling an account's orders: when an order becomes final, in the transaction that makes it
so, its hold is charged for what was delivered and refunded for the rest, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.events import order_data, order_event
from gateway.store import GatewayState, Store
from gateway.store.sync import PolledChange
from providers.models import OrderState

from .accounts_helpers import current, funded, placed
from .conftest import FakeClock


@pytest.fixture(autouse=True)
async def ledger_adds_up(store: Store) -> AsyncIterator[None]:
    yield
    assert await store.ledger_problems() == []


async def _kinds(store: Store, order_id: int) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    account_id = (await store.get_order(order_id)).account_id
    assert account_id is not None
    for movement in await store.movements(account_id, limit=1000):
        if movement.order_id == order_id:
            found[movement.kind] = movement.amount
    return found


async def test_placing_holds_the_client_price(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("12.5"))
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("87.5"), Decimal("12.5"))
    assert await _kinds(store, order.id) == {"hold": Decimal("-12.5")}
    assert (order.client_price, order.client_currency, order.client_charge) == (
        Decimal("12.5"), "USD", None,
    )  # fmt: skip


@pytest.mark.parametrize("state", [OrderState.PENDING, OrderState.IN_PROGRESS, "UNCONFIRMED"])
async def test_an_open_order_stays_held(store: Store, state: str) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("12.5"))
    updated = await store.update_order(order.id, event_kind="status", state=state)
    assert updated.client_charge is None
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("87.5"), Decimal("12.5"))


async def test_completed_charges_the_whole_hold(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("12.5"))
    done = await store.update_order(order.id, event_kind="status", state="COMPLETED", remains=0)
    assert done.client_charge == Decimal("12.5")
    assert await _kinds(store, order.id) == {"hold": Decimal("-12.5"), "charge": Decimal("-12.5")}
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("87.5"), Decimal(0))


async def test_partial_refunds_the_remains_at_the_client_rate(store: Store) -> None:
    account = await funded(store)
    # 1000 at 2.3456 per 1000 = 2.3456; 333 undelivered = 0.7810848 -> 0.7811 (half up).
    order = await placed(store, account, Decimal("2.3456"), rate=Decimal("2.3456"))
    done = await store.update_order(order.id, event_kind="status", state="PARTIAL", remains=333)
    assert done.client_charge == Decimal("2.3456") - Decimal("0.7811")
    assert await _kinds(store, order.id) == {
        "hold": Decimal("-2.3456"), "charge": Decimal("-1.5645"), "refund": Decimal("0.7811"),
    }  # fmt: skip
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("100") - Decimal("1.5645"), Decimal(0))


async def test_partial_rounds_the_refund_half_up(store: Store) -> None:
    account = await funded(store)
    # 0.5 per 1000, 1 undelivered: 0.0005 exactly -> 0.0005; 0.25 per 1000 x 1 = 0.00025 -> 0.0003
    order = await placed(store, account, Decimal("1"), rate=Decimal("0.25"), quantity=4000)
    done = await store.update_order(order.id, event_kind="status", state="PARTIAL", remains=1)
    assert done.client_charge == Decimal("0.9997")


async def test_partial_never_refunds_more_than_the_hold(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("5"), rate=Decimal("5"))
    done = await store.update_order(order.id, event_kind="status", state="PARTIAL", remains=5000)
    assert done.client_charge == 0
    assert await _kinds(store, order.id) == {"hold": Decimal("-5"), "refund": Decimal("5")}
    assert (await current(store, account)).balance == Decimal("100")


@pytest.mark.parametrize(
    "state", [OrderState.CANCELED, OrderState.REFUNDED, OrderState.EXPIRED, GatewayState.FAILED]
)
async def test_canceled_refunded_expired_and_failed_refund_the_whole_hold(
    store: Store, state: str
) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("12.5"))
    done = await store.update_order(order.id, event_kind="status", state=state)
    assert done.client_charge == 0
    assert await _kinds(store, order.id) == {"hold": Decimal("-12.5"), "refund": Decimal("12.5")}
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("100"), Decimal(0))


async def test_a_status_poll_batch_settles_the_orders_it_makes_final(store: Store) -> None:
    account = await funded(store)
    partial = await placed(store, account, Decimal("10"), rate=Decimal("10"))
    open_ = await placed(store, account, Decimal("6"))
    own = await store.create_order(client_id="operator", request={"service": "7"})
    changes = [
        PolledChange(partial, "status", {"state": "PARTIAL", "remains": 250}),
        PolledChange(open_, "status", {"state": "IN_PROGRESS", "remains": 900}),
        PolledChange(own, "status", {"state": "COMPLETED"}),
    ]
    async with store.transaction() as tx:
        applied = await store.apply_polled(changes, tx=tx)
    assert [row.client_charge for row in applied] == [Decimal("7.5"), None, None]
    assert await store.get_orders([r.id for r in applied]) == applied
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("100") - Decimal("7.5") - 6, Decimal("6"))


async def test_a_send_that_fails_before_the_provider_refunds(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("3"))
    failed = await store.update_order(
        order.id, expected_version=order.version, event_kind="send_failed",
        state=GatewayState.FAILED, error="panel refused",
    )  # fmt: skip
    assert failed.client_charge == 0
    assert (await current(store, account)).balance == Decimal("100")


async def test_unconfirmed_stays_held_until_resolved_then_refunds_when_failed(
    store: Store,
) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("8"))
    unconfirmed = await store.update_order(order.id, event_kind="lost", state="UNCONFIRMED")
    assert (await current(store, account)).held == Decimal("8")
    assert await store.ledger_problems() == []
    resolved = await store.update_order(
        order.id, expected_version=unconfirmed.version, event_kind="resolved",
        state=GatewayState.FAILED,
    )  # fmt: skip
    assert resolved.client_charge == 0
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("100"), Decimal(0))


async def test_unconfirmed_resolved_as_placed_is_charged_when_it_completes(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("8"))
    await store.update_order(order.id, event_kind="lost", state="UNCONFIRMED")
    await store.update_order(
        order.id, event_kind="resolved", state="PENDING", provider_order_id="9"
    )
    assert (await current(store, account)).held == Decimal("8")
    done = await store.update_order(order.id, event_kind="status", state="COMPLETED")
    assert done.client_charge == Decimal("8")


async def test_settlement_happens_once(store: Store, clock: FakeClock) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("10"), rate=Decimal("10"))
    done = await store.update_order(order.id, event_kind="status", state="PARTIAL", remains=500)
    clock.advance(minutes=5)
    # A later write to the final order (a flag, a repeated status) settles nothing again.
    again = await store.update_order(
        order.id, event_kind="status", state="PARTIAL", remains=100, flags=["overcharged"]
    )
    assert again.client_charge == done.client_charge == Decimal("5")
    async with store.transaction() as tx:
        assert await store.settle_order(again, tx=tx) == []
    assert await _kinds(store, order.id) == {
        "hold": Decimal("-10"), "charge": Decimal("-5"), "refund": Decimal("5"),
    }  # fmt: skip
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("95"), Decimal(0))


async def test_a_failed_final_write_leaves_the_order_held(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("10"))

    async def cancel_then_fail() -> None:
        async with store.transaction() as tx:
            await store.update_order(order.id, event_kind="status", state="CANCELED", tx=tx)
            raise RuntimeError("the transaction does not commit")

    with pytest.raises(RuntimeError):
        await cancel_then_fail()
    assert (await store.get_order(order.id)).client_charge is None
    assert (await current(store, account)).held == Decimal("10")


async def test_operator_orders_are_neither_held_nor_settled(store: Store) -> None:
    account = await funded(store)
    own = await store.create_order(client_id="operator", request={"service": "1"})
    done = await store.update_order(own.id, event_kind="status", state="COMPLETED")
    assert done.client_charge is None
    assert "client_charge" not in order_data(done)
    assert await current(store, account) == account


async def test_order_events_carry_the_client_price_and_charge(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("10"))
    data = order_data(order)
    assert (data["client_price"], data["client_charge"], data["client_currency"]) == (
        "10", None, "USD",
    )  # fmt: skip
    done = await store.update_order(order.id, event_kind="status", state="CANCELED")
    event = order_event(order, done)
    assert event is not None
    assert event.type == "order.canceled"
    assert event.data["order"]["client_charge"] == "0"
    assert event.data["order"]["account_id"] == account.id


async def test_update_order_refuses_to_rewrite_the_client_columns(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("10"))
    for column in ("client_price", "client_charge", "client_rate", "account_id"):
        changes: dict[str, Any] = {column: Decimal("1")}
        with pytest.raises(TypeError, match=column):
            await store.update_order(order.id, event_kind="x", **changes)


async def test_margin_report_sums_revenue_cost_and_margin_by_account_provider_and_day(
    store: Store, clock: FakeClock
) -> None:
    shop = await funded(store)
    other = await funded(store, "other")
    start = clock.now

    async def settle(account_name: str, price: str, provider: str, charge: str | None) -> None:
        account = await store.account(account_name)
        assert account is not None
        row = await placed(store, account, Decimal(price))
        await store.update_order(
            row.id, event_kind="routed", provider=provider, quoted_cost=Decimal("1"),
            currency="USD", provider_cost=Decimal("1"), provider_currency="USD",
        )  # fmt: skip
        changes: dict[str, Any] = (
            {} if charge is None else {"charge": Decimal(charge), "charge_currency": "USD"}
        )
        await store.update_order(row.id, event_kind="status", state="COMPLETED", **changes)

    await settle("shop", "3", "rizvi", "2")
    await settle("shop", "2", "rizvi", None)  # cost unknown: the quoted 1
    await settle("other", "5", "peakerr", "4.5")
    clock.advance(days=1)
    await settle("shop", "4", "rizvi", "3")
    canceled = await placed(store, shop, Decimal("9"))  # refunded in full: no sale
    await store.update_order(canceled.id, event_kind="status", state="CANCELED")
    rows = await store.margin_report(start, start + timedelta(days=2))
    day = start.date()
    assert [
        (r.account, r.provider, r.day, r.orders, r.revenue, r.cost, r.margin) for r in rows
    ] == [
        ("other", "peakerr", day, 1, Decimal("5"), Decimal("4.5"), Decimal("0.5")),
        ("shop", "rizvi", day, 2, Decimal("5"), Decimal("3"), Decimal("2")),
        ("shop", "rizvi", day + timedelta(days=1), 1, Decimal("4"), Decimal("3"), Decimal("1")),
    ]
    assert await store.margin_report(start, start + timedelta(hours=1)) == rows[:2]
    assert other.id != shop.id
