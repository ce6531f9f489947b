"""Client accounts in the store: their rows, top-ups, adjustments, movements and keys; the ledger
adds up after every test (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from gateway.accounts.errors import AccountExists, AccountNotFound
from gateway.auth import principal_of
from gateway.store import AccountState, MovementKind, Store

from .accounts_helpers import PRICE_LIST, current, funded, placed
from .conftest import FakeClock


@pytest.fixture(autouse=True)
async def ledger_adds_up(store: Store) -> AsyncIterator[None]:
    yield
    assert await store.ledger_problems() == []


async def test_a_new_account_is_active_with_no_funds(store: Store, clock: FakeClock) -> None:
    account = await store.create_account(
        "shop",
        currency="USD",
        price_list=PRICE_LIST,
        credit_limit=Decimal("10"),
        spend_cap_day=Decimal("50"),
        spend_cap_month=Decimal("500"),
        low_balance=Decimal("5"),
        margin_policy="reprice",
    )
    assert (account.name, account.currency, account.state) == ("shop", "USD", "active")
    assert account.active
    assert (account.balance, account.held, account.available) == (
        Decimal(0),
        Decimal(0),
        Decimal("10"),
    )
    assert account.price_list == PRICE_LIST
    assert (account.spend_cap_day, account.spend_cap_month) == (Decimal("50"), Decimal("500"))
    assert (account.low_balance, account.margin_policy) == (Decimal("5"), "reprice")
    assert account.created_at == account.updated_at == clock.now
    assert await store.account("shop") == account
    assert await store.account_by_id(account.id) == account
    assert await store.movements(account.id) == []


async def test_account_names_are_unique(store: Store) -> None:
    await store.create_account("shop", currency="USD", price_list={})
    with pytest.raises(AccountExists) as refused:
        await store.create_account("shop", currency="USD", price_list={})
    assert refused.value.code == "ACCOUNT_EXISTS"
    assert len(await store.list_accounts()) == 1


async def test_an_account_and_a_key_outside_it_never_share_a_client_id(store: Store) -> None:
    # Orders belong to a client id: sharing one would let each reach the other's orders.
    await store.create_api_key("ops-tool", "acme", ["order"])
    with pytest.raises(AccountExists, match="client id of API keys"):
        await store.create_account("acme", currency="USD", price_list={})
    shop = await store.create_account("shop", currency="USD", price_list={})
    with pytest.raises(ValueError, match="client account's name"):
        await store.create_api_key("stray", "shop", ["order"])
    row, _ = await store.create_api_key("shop-key", "shop", ["order"], account_id=shop.id)
    assert row.account_id == shop.id, "the account's own keys take its name"


async def test_unknown_accounts_read_as_none_and_are_refused_for_writes(store: Store) -> None:
    assert await store.account("nobody") is None
    assert await store.account_by_id(404) is None
    with pytest.raises(AccountNotFound):
        await store.top_up(404, Decimal("1"), reason=None)
    with pytest.raises(AccountNotFound):
        await store.update_account(404, state="suspended")


async def test_accounts_are_listed_by_name(store: Store) -> None:
    for name in ("zeta", "alpha", "mid"):
        await store.create_account(name, currency="USD", price_list={})
    assert [a.name for a in await store.list_accounts()] == ["alpha", "mid", "zeta"]


async def test_update_account_changes_settings_and_bumps_the_version(
    store: Store, clock: FakeClock
) -> None:
    account = await funded(store)
    clock.advance(minutes=1)
    changed = await store.update_account(
        account.id,
        state=AccountState.SUSPENDED,
        credit_limit=Decimal("25"),
        spend_cap_day=None,
        price_list={"markup_percent": "30"},
        margin_policy="reprice",
    )
    assert (changed.state, changed.active) == ("suspended", False)
    assert (changed.credit_limit, changed.available) == (Decimal("25"), Decimal("125"))
    assert changed.price_list == {"markup_percent": "30"}
    assert changed.margin_policy == "reprice"
    assert changed.version == account.version + 1
    assert changed.updated_at == clock.now
    assert changed.balance == account.balance  # settings never move money


async def test_update_account_refuses_balances_and_unknown_values(store: Store) -> None:
    account = await funded(store)
    with pytest.raises(TypeError, match="balance"):
        await store.update_account(account.id, balance=Decimal("1000"))
    with pytest.raises(ValueError, match="frozen"):
        await store.update_account(account.id, state="frozen")
    with pytest.raises(ValueError, match="hope"):
        await store.update_account(account.id, margin_policy="hope")
    with pytest.raises(ValueError, match="credit limit"):
        await store.update_account(account.id, credit_limit=Decimal("-1"))
    assert await current(store, account) == account


async def test_a_top_up_adds_funds_with_a_balanced_movement_and_an_event(store: Store) -> None:
    account = await store.create_account("shop", currency="USD", price_list={})
    movement = await store.top_up(account.id, Decimal("100.50"), reason="wire 42")
    assert (movement.kind, movement.amount, movement.reason) == (
        "topup",
        Decimal("100.5"),
        "wire 42",
    )
    assert movement.order_id is None
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal("100.5"), Decimal(0))
    [event] = await store.pending_outbox()
    assert event.type == "account.topped_up"
    assert event.payload["data"]["account"]["balance"] == "100.5"
    assert event.payload["data"]["movement"]["amount"] == "100.5"


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-5")])
async def test_a_top_up_must_be_positive(store: Store, amount: Decimal) -> None:
    account = await store.create_account("shop", currency="USD", price_list={})
    with pytest.raises(ValueError, match="positive"):
        await store.top_up(account.id, amount, reason=None)
    assert await store.movements(account.id) == []


async def test_adjustments_move_the_balance_either_way_with_a_reason(store: Store) -> None:
    account = await funded(store)
    up = await store.adjust(account.id, Decimal("7.25"), reason="goodwill")
    down = await store.adjust(account.id, Decimal("-20"), reason="chargeback")
    assert (up.kind, up.amount, up.reason) == ("adjustment", Decimal("7.25"), "goodwill")
    assert (down.amount, down.reason) == (Decimal("-20"), "chargeback")
    assert (await current(store, account)).balance == Decimal("87.25")
    with pytest.raises(ValueError, match="reason"):
        await store.adjust(account.id, Decimal("1"), reason=" ")
    with pytest.raises(ValueError, match="zero"):
        await store.adjust(account.id, Decimal("0"), reason="nothing")


async def test_movements_are_listed_newest_first_in_pages(store: Store) -> None:
    account = await funded(store, funds=None)
    made = [await store.top_up(account.id, Decimal(n), reason=str(n)) for n in range(1, 6)]
    first = await store.movements(account.id, limit=2)
    assert [m.id for m in first] == [made[4].id, made[3].id]
    second = await store.movements(account.id, before=first[-1].id, limit=2)
    assert [m.id for m in second] == [made[2].id, made[1].id]
    last = await store.movements(account.id, before=second[-1].id, limit=2)
    assert [m.id for m in last] == [made[0].id]
    other = await funded(store, "other")
    assert [m.account_id for m in await store.movements(other.id)] == [other.id]


async def test_spend_counts_holds_minus_refunds_since_a_moment(
    store: Store, clock: FakeClock
) -> None:
    account = await funded(store)
    start = clock.now
    await placed(store, account, Decimal("10"))
    clock.advance(hours=1)
    since = clock.now
    await placed(store, account, Decimal("4"))
    canceled = await placed(store, account, Decimal("3"))
    await store.update_order(canceled.id, event_kind="status", state="CANCELED")
    await store.top_up(account.id, Decimal("50"), reason=None)  # not spending
    assert await store.spend(account.id, start) == Decimal("14")
    assert await store.spend(account.id, since) == Decimal("4")
    assert await store.spend(account.id, clock.advance(hours=1)) == 0


async def test_a_key_of_an_account_carries_it_to_the_principal(store: Store) -> None:
    account = await funded(store)
    row, _ = await store.create_api_key(
        "shop-frontend", account.name, ["order"], account_id=account.id
    )
    assert row.account_id == account.id
    [listed] = await store.list_api_keys(account.name)
    assert listed.account_id == account.id
    principal = principal_of(row)
    assert (principal.account_id, principal.has_account) == (account.id, True)
    own, _ = await store.create_api_key("ops", "operator", ["admin"])
    assert own.account_id is None
    assert principal_of(own).has_account is False


async def test_every_movement_kind_writes_entries_that_balance(store: Store) -> None:
    account = await funded(store)
    await store.adjust(account.id, Decimal("-5"), reason="fee")
    partial = await placed(store, account, Decimal("10"), rate=Decimal("10"))
    await store.update_order(partial.id, event_kind="status", state="PARTIAL", remains=300)
    kinds = {m.kind for m in await store.movements(account.id)}
    assert kinds == {k.value for k in MovementKind}
    after = await current(store, account)
    # 100 - 5 - 10 + 3 refunded; 7 charged, nothing held.
    assert (after.balance, after.held) == (Decimal("88"), Decimal(0))


async def test_a_posting_writes_its_movement_entries_and_balances(store: Store) -> None:
    """One statement on PostgreSQL, three on SQLite: the same rows either way."""
    from sqlalchemy import select

    from gateway.store.tables import account_entries

    account = await funded(store, funds=None)
    movement = await store.top_up(account.id, Decimal("12.5"), reason="wire 7")
    after = await current(store, account)
    assert (movement.kind, movement.amount, movement.reason) == (
        MovementKind.TOPUP, Decimal("12.5"), "wire 7",
    )  # fmt: skip
    assert (after.balance, after.held, after.version) == (
        Decimal("12.5"), Decimal(0), account.version + 1,
    )  # fmt: skip
    async with store.engine.connect() as conn:
        query = select(account_entries).where(account_entries.c.movement_id == movement.id)
        entries = (await conn.execute(query.order_by(account_entries.c.book))).mappings().all()
    assert [(e["account_id"], e["book"], e["amount"], e["currency"]) for e in entries] == [
        (account.id, "available", Decimal("12.5"), "USD"),
        (None, "funding", Decimal("-12.5"), "USD"),
    ]
