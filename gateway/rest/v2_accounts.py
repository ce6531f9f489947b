"""``/api/v2`` for keys of a client account: the account's funds, its prices, its charges.

A key with an account (`Principal.account_id`) sees the gateway as that client's panel: its
``balance`` is the account's funds (not what is held for open orders), its ``services`` carry
the account's rates (`gateway.accounts.pricing.listing_rate`, services unavailable to it by the
margin left out), its ``add`` is priced and held on the account, and an order's ``charge`` is
what the client pays, never the provider's wholesale charge. Keys without an account keep the
operator's view. The account row is read for every call (for ``services`` as of the call's
arrival, one read shared by the calls waiting, skipped while SQLite proves nothing changed:
`gateway.account_reads`); its answer is rendered
once per catalog and price list and kept under the account's id and the digest of its prices
(`v2_services`), so one account can never be shown another's prices, and a new price list
shows on the next call.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from gateway.accounts.errors import (
    AccountRefused,
    AccountSuspended,
    InsufficientFunds,
    MarginBreached,
)
from gateway.accounts.pricing import PriceList, listing_rate
from gateway.rest import v2_texts as texts
from gateway.rest.v2_shapes import GroupView, money_text, rate_text
from gateway.store import GatewayState, OrderRow
from gateway.store.rows import AccountRow


def price_list(account: AccountRow) -> PriceList:
    return PriceList.model_validate(account.price_list)


def balance_entry(account: AccountRow) -> dict[str, str]:
    """The account's funds as ``balance`` answers them: what is not held for open orders."""
    return {"balance": money_text(account.balance), "currency": account.currency}


def service_entry(view: GroupView, prices: PriceList, policy: str) -> dict[str, Any] | None:
    """`view` as the account sees it: its rate from the cheapest member that can take orders
    now; None when the account's margin makes the service unavailable to it."""
    rate = listing_rate(prices, policy, replace(view.group, members=view.members))
    if rate is None:
        return None
    return {**view.entry(), "rate": rate_text(rate)}


def refusal_text(exc: AccountRefused) -> str:
    """The panel's text for an order the account refuses: the margin guard answers as an
    unavailable service, never saying that the provider's cost rose over the client's price."""
    if isinstance(exc, MarginBreached):
        return texts.UNAVAILABLE
    if isinstance(exc, InsufficientFunds):
        return texts.NO_FUNDS
    if isinstance(exc, AccountSuspended):
        return texts.ACCOUNT_SUSPENDED
    # A spend cap's text says which ("Daily spend limit reached"); any other refusal's message
    # is written to be shown to the client.
    return exc.message


def client_charge(row: OrderRow) -> Decimal:
    """What an account's order costs its client: the settled charge, else the hold (the
    client price); an order never placed anywhere costs nothing."""
    if row.client_charge is not None:
        return row.client_charge
    if row.state == GatewayState.FAILED or row.client_price is None:
        return Decimal(0)
    return row.client_price


def client_status(row: OrderRow, entry: dict[str, Any], base_currency: str) -> dict[str, Any]:
    """`entry` (the status as `status_entry` made it) with the client's charge and currency."""
    return {
        **entry,
        "charge": money_text(client_charge(row)),
        "currency": row.client_currency or base_currency,
    }
