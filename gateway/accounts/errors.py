"""What an account refuses, in the tree of ``gateway.orders.errors``; `message` is safe to show
a client (``/api/v2`` writes it as the panel's error text)::

    OrderError
    └── AccountRefused          ACCOUNT_REFUSED: the account may not place this order
        ├── InsufficientFunds   INSUFFICIENT_FUNDS: the hold exceeds balance + credit limit
        ├── AccountSuspended    ACCOUNT_SUSPENDED
        ├── SpendCapReached     SPEND_CAP_REACHED: the day's or the month's cap
        └── MarginBreached      SERVICE_UNAVAILABLE: no member keeps the minimum margin

    AccountExists               ACCOUNT_EXISTS: an operator created a name twice
    AccountNotFound             ACCOUNT_NOT_FOUND: an operator named no account
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from gateway.orders.errors import OrderError
from gateway.routing import Quote

Period = Literal["day", "month"]


class AccountRefused(OrderError):
    """The account may not place this order."""

    code = "ACCOUNT_REFUSED"


class InsufficientFunds(AccountRefused):
    code = "INSUFFICIENT_FUNDS"

    def __init__(self) -> None:
        super().__init__("Not enough funds on balance")


class AccountSuspended(AccountRefused):
    code = "ACCOUNT_SUSPENDED"

    def __init__(self) -> None:
        super().__init__("Your account is suspended")


class SpendCapReached(AccountRefused):
    """The order would take the account's spend of the UTC day (or month) above its cap."""

    code = "SPEND_CAP_REACHED"

    def __init__(self, period: Period) -> None:
        super().__init__(
            "Daily spend limit reached" if period == "day" else "Monthly spend limit reached"
        )
        self.period = period


class MarginBreached(AccountRefused):
    """Every member of the service would break the account's minimum margin at its price (policy
    ``skip``): the service is unavailable to the account."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(
        self,
        quote: Quote,
        *,
        cost_rate: Decimal | None = None,
        price_rate: Decimal | None = None,
    ) -> None:
        super().__init__("Service is currently unavailable")
        self.quote = quote
        self.service_id = quote.group.id
        self.cost_rate = cost_rate
        self.price_rate = price_rate


class AccountExists(ValueError):
    """An account with that name exists already."""

    code = "ACCOUNT_EXISTS"

    def __init__(self, name: str, message: str | None = None) -> None:
        super().__init__(message or f"an account named {name!r} exists already")
        self.name = name
        self.message = str(self)


class AccountNotFound(ValueError):
    """No account with that name or id."""

    code = "ACCOUNT_NOT_FOUND"

    def __init__(self, name: str | int) -> None:
        super().__init__(f"no account {name!r}")
        self.name = name
        self.message = str(self)
