"""What the gateway refuses, as one tree of exceptions; `message` is safe to show a client::

    OrderError
    ├── ServiceNotFound         no unified service with that id
    ├── InvalidOrder            the fields do not make an order of the service's type
    │   └── InvalidLink         a link no panel would take  (in `validation`)
    ├── NoEligibleProvider      no member can take it (``quote`` says why for each)
    ├── OrderUnknown            no such order for this client
    ├── IdempotencyConflict     the key was used with a different request
    ├── IdempotencyPending      the first request with the key is still being placed
    ├── NotUnconfirmed          resolving an order that is not UNCONFIRMED  (in `resolution`)
    ├── InvalidResolution       a resolution that cannot be recorded as given  (in `resolution`)
    ├── RefillUnknown           no such refill for this client  (in `refill_resolution`)
    ├── NotUnconfirmedRefill    resolving a refill that is not UNCONFIRMED  (in `refill_resolution`)
    └── AccountRefused          a client account may not place it  (`gateway.accounts.errors`)

Provider failures stay in ``providers.errors``; placement turns them into order states
(``FAILED`` when provably not placed, ``UNCONFIRMED`` when it may have been), never into these.
"""

from __future__ import annotations

from gateway.routing import Quote


class OrderError(Exception):
    """A request the gateway refuses; `message` is safe to show to the client."""

    code = "ORDER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServiceNotFound(OrderError):
    code = "SERVICE_NOT_FOUND"


class InvalidOrder(OrderError):
    code = "INVALID_ORDER"


class NoEligibleProvider(OrderError):
    """No member of the group can take the order; `quote` says why for each."""

    code = "NO_ELIGIBLE_PROVIDER"

    def __init__(self, message: str, quote: Quote) -> None:
        super().__init__(message)
        self.quote = quote


class IdempotencyConflict(OrderError):
    code = "IDEMPOTENCY_CONFLICT"


class OrderUnknown(OrderError):
    """No such order for this client (another client's orders are unknown to it too)."""

    code = "ORDER_NOT_FOUND"


class IdempotencyPending(OrderError):
    """Another request with the same key is still being placed."""

    code = "IDEMPOTENCY_PENDING"
