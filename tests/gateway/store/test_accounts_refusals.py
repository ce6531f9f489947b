"""What a hold refuses (a suspended account, a spend cap, funds short of the price), the credit
limit, the low-balance warning, and the ledger check catching a ledger that does not add up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import update

from gateway.accounts.errors import AccountSuspended, InsufficientFunds, SpendCapReached
from gateway.orders.errors import OrderError
from gateway.store import Store
from gateway.store.tables import account_entries, accounts, orders

from .accounts_helpers import current, funded, placed
from .conftest import FakeClock


@pytest.fixture(autouse=True)
async def ledger_adds_up(store: Store) -> AsyncIterator[None]:
    yield
    assert await store.ledger_problems() == []


async def test_funds_short_of_the_price_are_refused_and_nothing_is_recorded(store: Store) -> None:
    account = await funded(store, funds=Decimal("10"))
    with pytest.raises(InsufficientFunds) as refused:
        await placed(store, account, Decimal("10.0001"))
    assert (refused.value.code, refused.value.message) == (
        "INSUFFICIENT_FUNDS", "Not enough funds on balance",
    )  # fmt: skip
    assert isinstance(refused.value, OrderError)
    assert await store.list_orders(account.name) == []  # the order row rolled back with it
    assert await current(store, account) == account
    exact = await placed(store, account, Decimal("10"))
    assert exact.client_price == Decimal("10")
    assert (await current(store, account)).balance == 0


async def test_a_credit_limit_lets_the_balance_go_below_zero_down_to_it(store: Store) -> None:
    account = await funded(store, funds=Decimal("5"), credit_limit=Decimal("20"))
    assert account.available == Decimal("25")
    await placed(store, account, Decimal("15"))
    after = await current(store, account)
    assert (after.balance, after.held, after.available) == (
        Decimal("-10"),
        Decimal("15"),
        Decimal(10),
    )
    with pytest.raises(InsufficientFunds):
        await placed(store, account, Decimal("10.01"))
    await placed(store, account, Decimal("10"))
    assert (await current(store, account)).balance == Decimal("-20")


async def test_a_suspended_account_holds_nothing_until_resumed(store: Store) -> None:
    account = await funded(store)
    await store.update_account(account.id, state="suspended")
    with pytest.raises(AccountSuspended) as refused:
        await placed(store, account, Decimal("1"))
    assert (refused.value.code, refused.value.message) == (
        "ACCOUNT_SUSPENDED", "Your account is suspended",
    )  # fmt: skip
    await store.update_account(account.id, state="active")
    await placed(store, account, Decimal("1"))


async def test_a_suspended_account_still_settles_its_open_orders(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("4"))
    await store.update_account(account.id, state="suspended")
    done = await store.update_order(order.id, event_kind="status", state="CANCELED")
    assert done.client_charge == 0
    assert (await current(store, account)).balance == Decimal("100")


async def test_the_daily_cap_counts_the_utc_day(store: Store, clock: FakeClock) -> None:
    account = await funded(store, spend_cap_day=Decimal("10"))
    await placed(store, account, Decimal("6"))
    with pytest.raises(SpendCapReached) as refused:
        await placed(store, account, Decimal("4.01"))
    assert (refused.value.code, refused.value.message) == (
        "SPEND_CAP_REACHED", "Daily spend limit reached",
    )  # fmt: skip
    await placed(store, account, Decimal("4"))  # exactly the cap
    clock.advance(hours=12)  # 2026-01-02 00:00 UTC: a new day
    await placed(store, account, Decimal("10"))


async def test_refunds_give_the_cap_back(store: Store) -> None:
    account = await funded(store, spend_cap_day=Decimal("10"))
    order = await placed(store, account, Decimal("10"))
    with pytest.raises(SpendCapReached):
        await placed(store, account, Decimal("1"))
    await store.update_order(order.id, event_kind="status", state="CANCELED")
    await placed(store, account, Decimal("10"))


async def test_the_monthly_cap_counts_the_utc_month(store: Store, clock: FakeClock) -> None:
    account = await funded(store, spend_cap_day=Decimal("10"), spend_cap_month=Decimal("15"))
    await placed(store, account, Decimal("10"))
    clock.advance(days=1)
    with pytest.raises(SpendCapReached) as refused:
        await placed(store, account, Decimal("6"))
    assert refused.value.message == "Monthly spend limit reached"
    assert refused.value.period == "month"
    await placed(store, account, Decimal("5"))
    clock.advance(days=31)  # February
    await placed(store, account, Decimal("10"))


async def test_caps_are_checked_before_funds(store: Store) -> None:
    account = await funded(store, funds=Decimal("1"), spend_cap_day=Decimal("2"))
    with pytest.raises(SpendCapReached):
        await placed(store, account, Decimal("3"))


async def test_crossing_the_low_balance_warns_once(store: Store) -> None:
    account = await funded(store, low_balance=Decimal("50"))
    topped = {e.event_id for e in await store.pending_outbox()}
    await placed(store, account, Decimal("40"))  # 100 -> 60: above
    await placed(store, account, Decimal("10"))  # 60 -> 50: not below
    crossing = await placed(store, account, Decimal("0.01"))  # 50 -> 49.99: crossed
    await placed(store, account, Decimal("5"))  # already below
    warnings = [e for e in await store.pending_outbox() if e.event_id not in topped]
    assert [e.type for e in warnings] == ["account.balance_low"]
    data = warnings[0].payload["data"]
    assert (data["threshold"], data["account"]["balance"]) == ("50", "49.99")
    assert data["movement"]["order_id"] == crossing.id
    await store.top_up(account.id, Decimal("100"), reason=None)  # back above
    await store.adjust(account.id, Decimal("-100"), reason="chargeback")  # and below again
    types = [e.type for e in await store.pending_outbox() if e.event_id not in topped]
    assert types == [
        "account.balance_low", "account.topped_up", "account.balance_low",
    ]  # fmt: skip


async def test_the_ledger_check_finds_a_tampered_balance(store: Store) -> None:
    account = await funded(store)
    await placed(store, account, Decimal("10"))
    assert await store.ledger_problems() == []
    async with store.transaction() as tx:
        await tx.execute(
            update(accounts).where(accounts.c.id == account.id).values(balance=Decimal("1000"))
        )
    assert await store.ledger_problems() == [
        "account shop: available is 1000, its entries sum to 90"
    ]
    async with store.transaction() as tx:
        await tx.execute(
            update(accounts).where(accounts.c.id == account.id).values(balance=Decimal("90"))
        )


async def test_the_ledger_check_finds_an_unbalanced_movement(store: Store) -> None:
    account = await funded(store)
    await placed(store, account, Decimal("10"))
    [hold] = [m for m in await store.movements(account.id) if m.kind == "hold"]
    held = (account_entries.c.movement_id == hold.id) & (account_entries.c.book == "held")
    async with store.transaction() as tx:
        await tx.execute(update(account_entries).where(held).values(amount=Decimal("9")))
    assert sorted(await store.ledger_problems()) == [
        "account shop: held is 10, its entries sum to 9",
        f"movement {hold.id} (hold): entries sum to -1, not 0",
    ]
    async with store.transaction() as tx:
        await tx.execute(update(account_entries).where(held).values(amount=Decimal("10")))


async def test_the_ledger_check_finds_an_open_order_without_its_hold(store: Store) -> None:
    account = await funded(store)
    order = await store.create_order(
        client_id=account.name, request={"service": "7"}, account_id=account.id,
        client_rate=Decimal("5"), client_price=Decimal("5"), client_currency="USD",
    )  # fmt: skip
    assert await store.ledger_problems() == [
        f"order {order.id} (RECEIVED) is open and holds 0, not its client price 5"
    ]
    async with store.transaction() as tx:
        await store.hold(account.id, order.id, Decimal("5"), tx=tx)


async def test_the_ledger_check_finds_a_final_order_left_unsettled(store: Store) -> None:
    account = await funded(store)
    order = await placed(store, account, Decimal("10"))
    async with store.transaction() as tx:  # behind the store's back
        await tx.execute(update(orders).where(orders.c.id == order.id).values(state="CANCELED"))
    assert await store.ledger_problems() == [
        f"order {order.id} (CANCELED) is final but not settled"
    ]
    async with store.transaction() as tx:
        refund = await store.settle_order(order, tx=tx)
    assert [(m.kind, m.amount) for m in refund] == [("refund", Decimal("10"))]
    assert (await store.get_order(order.id)).client_charge == 0
