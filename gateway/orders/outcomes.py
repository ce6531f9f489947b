"""Per-id answers of the batch operations (status, refill, refill status, cancel), and what a
client is told of a provider's refusal of a refill or cancel."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.store import OrderRow, RefillRow
from providers.errors import (
    Ambiguous,
    AuthenticationError,
    ProviderError,
    RateLimited,
    Unavailable,
)

REFILL_REFUSED = "Order not eligible for refill."
CANCEL_REFUSED = "Order cannot be canceled."
CANCEL_UNCONFIRMED = (
    "Cancel requested, but its outcome is unknown (the answer was lost); "
    "the order's status will show whether it was canceled"
)
"""A cancel sent to a panel whose answer was lost: it may have been done. Told to the client
(and to every later cancel request of the order while it is open) instead of a refusal."""
TRY_LATER = "Service temporarily unavailable, please try again later"
"""A refusal that came of the call to the panel, not of the order: asking again later may do."""
_ABOUT_THE_CALL = (Unavailable, RateLimited, AuthenticationError, Ambiguous)


def client_refusal(error: ProviderError, refused: str) -> str:
    """What a client is told when a panel did not refill or cancel an order: `refused` (the
    v2 text, such as "Order cannot be canceled."), or `TRY_LATER` when the failure was the
    call's (the gateway's key at the panel, its limits, an outage). Never the panel's words:
    they speak of the gateway's own account there ("Invalid API key", which a panel client
    takes for its own key) and of the panel's order ids."""
    return TRY_LATER if isinstance(error, _ABOUT_THE_CALL) else refused


@dataclass(frozen=True, slots=True)
class Outcome:
    """A per-id answer of a batch operation: the order row, and the error if it failed."""

    order_id: int
    order: OrderRow | None
    error: str | None = None
    """The error in the provider's words, for the operator."""
    refill: RefillRow | None = None
    """The refill created, or the order's open or unconfirmed one, for `Orders.refill`."""
    client_error: str | None = None
    """`error` as a client is told it, when that differs (`client_refusal`)."""

    @property
    def shown(self) -> str | None:
        """The error as a client (and any panel client) is told it."""
        return self.client_error if self.client_error is not None else self.error


@dataclass(frozen=True, slots=True)
class RefillOutcome:
    """A per-id answer of `Orders.refill_status`."""

    refill_id: int
    refill: RefillRow | None
    error: str | None = None
