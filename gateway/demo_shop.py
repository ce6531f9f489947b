"""The demo's client: the account "demo-shop" (a 20% markup, 100.00 of funds on its first
start) and an ``order`` key for it, kept in the data folder beside the admin key, so the tour
can show both sides of a reseller: the operator's books and what a shop's key sees and pays."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from gateway.accounts.errors import AccountExists
from gateway.accounts.pricing import PriceList
from gateway.core import Gateway
from gateway.store import AccountRow

SHOP = "demo-shop"
MARKUP = Decimal(20)
FUNDS = Decimal("100.00")
SHOP_KEY_FILE = "shop-key"
SHOP_KEY_VARIABLE = "SHOP_KEY"
"""What the demo's env file exports the shop's key as."""


@dataclass(frozen=True)
class Shop:
    account: AccountRow
    secret: str = field(repr=False)

    def export_line(self) -> str:
        return f"export {SHOP_KEY_VARIABLE}={self.secret}"

    def summary(self) -> str:
        markup = PriceList(**self.account.price_list).markup_percent
        funds = self.account.balance
        shown = f"{funds:.2f}" if funds == round(funds, 2) else f"{funds:f}"  # exact, 2 places+
        return (
            f"client account {self.account.name}: {markup:f}% markup, "
            f"funds {shown} {self.account.currency}"
        )


async def demo_shop(gateway: Gateway, data_dir: Path, write: Callable[[Path, str], None]) -> Shop:
    """The demo's client account and its key: made and funded on the first start, found again
    on the next; a key the ledger lost or revoked is replaced by a new one, which `write`
    keeps (privately) in the data folder."""
    account = await _account(gateway)
    kept = data_dir / SHOP_KEY_FILE
    secret = ""
    with contextlib.suppress(FileNotFoundError):
        secret = (await asyncio.to_thread(kept.read_text)).strip()
    store = gateway.store
    while True:
        if secret:
            found = await store.verify_api_key(secret)
            if found is not None and found.account_id == account.id:
                return Shop(account, secret)
            if found is None:
                with contextlib.suppress(IntegrityError):  # in the ledger already, and revoked
                    await store.create_api_key(SHOP, SHOP, ["order"], secret=secret,
                                               account_id=account.id)  # fmt: skip
                    return Shop(account, secret)
        secret = "smmgw_shop_" + secrets.token_urlsafe(24)
        await asyncio.to_thread(write, kept, secret + "\n")


async def _account(gateway: Gateway) -> AccountRow:
    store = gateway.store
    found = await store.account(SHOP)
    if found is not None:
        return found
    prices = PriceList(markup_percent=MARKUP).model_dump(mode="json")
    try:
        async with store.transaction() as tx:
            made = await store.create_account(
                SHOP, currency=gateway.base_currency, price_list=prices, tx=tx
            )
            await store.top_up(made.id, FUNDS, reason="the demo's funds", tx=tx)
    except AccountExists:  # another process made it first
        pass
    found = await store.account(SHOP)
    assert found is not None
    return found
