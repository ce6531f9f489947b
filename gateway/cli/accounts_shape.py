"""What ``smm-gateway accounts`` prints, the same from the store (``--config``) and from a
running gateway (``--url``): one shape of account, movement and terms for both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Terms:
    """What ``accounts create`` sets: prices, limits and the margin policy."""

    markup: Decimal = Decimal(0)
    min_margin: Decimal = Decimal(0)
    credit_limit: Decimal | None = None
    daily_cap: Decimal | None = None
    monthly_cap: Decimal | None = None
    low_balance: Decimal | None = None
    reprice: bool = False

    @property
    def policy(self) -> Literal["skip", "reprice"]:
        return "reprice" if self.reprice else "skip"


def missing(name: str) -> str:
    """What both ways say of a name no account has (the API's words)."""
    return f"no account named {name!r}"


def money(value: Decimal | str | None) -> Decimal | None:
    """An amount as people read it: exact, with at least two decimal places (``100.00``,
    ``0.1234``), whichever way the store or the API wrote it."""
    if value is None:
        return None
    amount = Decimal(value).normalize()
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(_CENTS)
    return amount


def percent(value: Decimal | str) -> Decimal:
    """A percentage without noise: ``20``, ``12.5``."""
    amount = Decimal(value).normalize()
    exponent = amount.as_tuple().exponent
    return amount.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else amount


def account_fields(
    *,
    id: int,
    name: str,
    state: str,
    currency: str,
    balance: Decimal | str,
    held: Decimal | str,
    available: Decimal | str,
    credit_limit: Decimal | str | None,
    markup: Decimal | str,
    min_margin: Decimal | str,
    overrides: int,
    daily_cap: Decimal | str | None,
    monthly_cap: Decimal | str | None,
    low_balance: Decimal | str | None,
    policy: str,
) -> dict[str, Any]:
    return {
        "id": id, "name": name, "state": state.lower(), "currency": currency,
        "balance": money(balance), "held": money(held), "available": money(available),
        "credit_limit": money(credit_limit), "markup_pct": percent(markup),
        "min_margin_pct": percent(min_margin), "overrides": overrides,
        "daily_cap": money(daily_cap), "monthly_cap": money(monthly_cap),
        "low_balance": money(low_balance), "policy": policy.lower(),
    }  # fmt: skip


def movement_fields(
    *,
    id: int,
    at: datetime | str,
    kind: str,
    amount: Decimal | str,
    order: int | None,
    reason: str | None,
) -> dict[str, Any]:
    """One movement of the account's ledger, signed: a top-up or a refund adds, a hold takes
    from the funds, a charge is what the client paid out of what was held."""
    return {"id": id, "at": at, "kind": kind.lower(), "amount": money(amount), "order": order,
            "reason": reason}  # fmt: skip


def moved_fields(
    account: str, movement: dict[str, Any], balance: Decimal | str, held: Decimal | str
) -> dict[str, Any]:
    """What a top-up or an adjustment answers: the movement and the balance after it."""
    return {
        "account": account, "movement": movement["id"], "kind": movement["kind"],
        "amount": movement["amount"], "reason": movement["reason"],
        "balance": money(balance), "held": money(held),
    }  # fmt: skip
