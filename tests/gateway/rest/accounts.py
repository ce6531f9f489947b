"""Client accounts for the ``/api/v2`` tests: an account with funds, a price list and a key."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.accounts.pricing import PriceList, price_order
from gateway.catalog import Group
from gateway.core import Gateway
from gateway.store.rows import AccountRow


@dataclass(frozen=True)
class Client:
    """An account and an order-scope key of it."""

    account: AccountRow
    key: str


async def open_account(
    gw: Gateway,
    name: str,
    *,
    funds: Decimal = Decimal(0),
    markup: Decimal = Decimal(20),
    min_margin: Decimal = Decimal(0),
    overrides: tuple[dict[str, Any], ...] = (),
    policy: str = "skip",
    scope: str = "order",
    **options: Any,
) -> Client:
    """An account named `name` (`options`: credit limit, spend caps...) topped up with `funds`,
    and a key of it with `scope`."""
    prices = PriceList.model_validate(
        {"markup_percent": markup, "min_margin_percent": min_margin, "overrides": overrides}
    )
    account = await gw.store.create_account(
        name,
        currency=gw.base_currency,
        price_list=prices.model_dump(mode="json"),
        margin_policy=policy,
        **options,
    )
    if funds:
        await gw.store.top_up(account.id, funds, reason="test funds")
    _, key = await gw.store.create_api_key(f"{name}-key", name, [scope], account_id=account.id)
    fresh = await gw.store.account_by_id(account.id)
    assert fresh is not None
    return Client(fresh, key)


async def client_price(
    gw: Gateway, account: AccountRow, group: Group, fields: dict[str, Any]
) -> Decimal:
    """What an order of `fields` in `group` holds on `account` if placed now."""
    decision = await gw.quote(group.id, {k: v for k, v in fields.items() if k != "service"})
    _, price = price_order(
        PriceList.model_validate(account.price_list), account.margin_policy, decision
    )
    return price.amount


async def account_now(gw: Gateway, account: AccountRow) -> AccountRow:
    fresh = await gw.store.account_by_id(account.id)
    assert fresh is not None
    return fresh


async def assert_ledger(gw: Gateway) -> None:
    """Every invariant of the account ledger holds (`Store.ledger_problems`)."""
    assert await gw.store.ledger_problems() == []
