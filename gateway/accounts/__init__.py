"""Client accounts: a price list over the routed cost (`pricing`), prepaid funds held at
placement and settled when the order is final (the ledger is ``gateway.store``'s
``MovementQueries``), spend caps and a margin guard. What an account refuses is in `errors`.

Keys without an account are the operator's own: no markup, no holds.
"""

from __future__ import annotations

# `errors` extends gateway.orders.errors, and gateway.orders imports `pricing` and `errors`:
# load gateway.orders first, so that whichever of the two is imported first, the cycle closes
# on modules already complete.
import gateway.orders  # noqa: F401  # isort: skip
from gateway.accounts.errors import (
    AccountExists,
    AccountNotFound,
    AccountRefused,
    AccountSuspended,
    InsufficientFunds,
    MarginBreached,
    SpendCapReached,
)

__all__ = [
    "AccountExists",
    "AccountNotFound",
    "AccountRefused",
    "AccountSuspended",
    "InsufficientFunds",
    "MarginBreached",
    "SpendCapReached",
]
