"""Orders: idempotent placement with safe failover, then status, refill and cancel by gateway id.

Each concept has its room: `placement` (the ledger row before any provider call, failover only
on proven not-placed failures), `reads` (status), `followups` (refill and cancel), `polled`
(a panel's status answer as ledger columns), `resolution` (an operator's answer to an
``UNCONFIRMED`` order), `refill_resolution` (the same for a refill), `validation` and
`errors` (drawn there).
"""

from __future__ import annotations

from gateway.orders.cancels import Cancels
from gateway.orders.errors import (
    IdempotencyConflict,
    IdempotencyPending,
    InvalidOrder,
    NoEligibleProvider,
    OrderError,
    OrderUnknown,
    ServiceNotFound,
)
from gateway.orders.outcomes import Outcome, RefillOutcome
from gateway.orders.placement import Placement
from gateway.orders.reads import Reads
from gateway.orders.refill_resolution import NotUnconfirmedRefill, RefillResolution, RefillUnknown
from gateway.orders.resolution import InvalidResolution, NotUnconfirmed, Resolution
from gateway.orders.validation import build_request, fingerprint


class Orders(Placement, Reads, Cancels, Resolution, RefillResolution):
    """The order side of the gateway core."""


__all__ = [
    "IdempotencyConflict",
    "IdempotencyPending",
    "InvalidOrder",
    "InvalidResolution",
    "NoEligibleProvider",
    "NotUnconfirmed",
    "NotUnconfirmedRefill",
    "OrderError",
    "OrderUnknown",
    "Orders",
    "Outcome",
    "RefillOutcome",
    "RefillUnknown",
    "ServiceNotFound",
    "build_request",
    "fingerprint",
]
