"""What the account ledger tests share: an account with funds, and an order placed on it the way
placement does it (the order row and its hold in one transaction)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.store import AccountRow, OrderRow, Store
from providers.models import OrderRequest

PRICE_LIST = {"markup_percent": "20", "min_margin_percent": "5", "overrides": []}


async def funded(
    store: Store, name: str = "shop", funds: Decimal | None = Decimal("100"), **settings: Any
) -> AccountRow:
    """A new account in USD topped up with `funds` (none when None), with `settings` (credit
    limit, caps, low balance...) as ``create_account`` takes them."""
    account = await store.create_account(name, currency="USD", price_list=PRICE_LIST, **settings)
    if funds is not None:
        await store.top_up(account.id, funds, reason="opening funds")
    return await current(store, account)


async def current(store: Store, account: AccountRow) -> AccountRow:
    """`account` as it stands now."""
    found = await store.account_by_id(account.id)
    assert found is not None
    return found


async def placed(
    store: Store,
    account: AccountRow,
    price: Decimal,
    *,
    rate: Decimal | None = None,
    quantity: int = 1000,
) -> OrderRow:
    """An order of `account` holding `price` (its client rate per 1000 is `rate`, by default
    the price of 1000), recorded and held in one transaction, as placement does."""
    request = OrderRequest(service="7", link="https://instagram.com/x", quantity=quantity)
    async with store.transaction() as tx:
        row = await store.create_order(
            client_id=account.name,
            request=request,
            account_id=account.id,
            client_rate=rate if rate is not None else price * 1000 / quantity,
            client_price=price,
            client_currency=account.currency,
            tx=tx,
        )
        await store.hold(account.id, row.id, price, tx=tx)
    return row
