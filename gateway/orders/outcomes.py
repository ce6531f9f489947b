"""Per-id answers of the batch operations (status, refill, refill status, cancel)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.store import OrderRow, RefillRow


@dataclass(frozen=True, slots=True)
class Outcome:
    """A per-id answer of a batch operation: the order row, and the error if it failed."""

    order_id: int
    order: OrderRow | None
    error: str | None = None
    refill: RefillRow | None = None
    """The refill created, for `Orders.refill`."""


@dataclass(frozen=True, slots=True)
class RefillOutcome:
    """A per-id answer of `Orders.refill_status`."""

    refill_id: int
    refill: RefillRow | None
    error: str | None = None
