"""Orders and refills as functions of simulated time.

An order never runs in the background: its state, delivered count and remains are computed from
the clock on demand, from a schedule fixed when it was placed. The only state that changes later
is a stop (a cancel, or the moment a Partial order is settled and refunded). What quality
(`providers.simulator.quality`) decided for the order is fixed in its fields when it is placed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from providers.models import OrderState, RefillState

from .catalog import SimService

CENT_FRACTION = Decimal("0.00001")
"""Panels keep balances and charges to five decimals."""


@dataclass(frozen=True, slots=True)
class OrderView:
    """What a status call reports about one order at one moment."""

    state: OrderState
    charge: Decimal
    start_count: int
    remains: int
    delivered: int
    currency: str


@dataclass(slots=True)
class SimOrder:
    """A placed order: its fields, its price and its delivery schedule."""

    id: int
    key: str
    service: SimService
    fields: dict[str, str]
    quantity: int
    """Units of one run (the whole order unless drip-fed)."""
    runs: int
    interval: int
    """Minutes between drip-feed runs."""
    cost: Decimal
    """What was charged when the order was placed."""
    currency: str
    created_at: float
    start_count: int
    target: int
    """Units this order will deliver before it ends; below `total` for a Partial order."""
    charge: Decimal = Decimal(0)
    stopped: tuple[OrderState, int] | None = None
    """Final state and delivered count once canceled or settled."""
    final_at: float = field(init=False)
    refund_partial: bool = True
    """Whether ending Partial on schedule refunds the undelivered part (or keeps the charge)."""
    drop_share: float = 0.0
    """Share of the delivered units that drop after the order ends on schedule."""

    def __post_init__(self) -> None:
        self.charge = self.cost
        self.final_at = self._time_to_deliver(self.target)

    def __setstate__(self, state: tuple[object, dict[str, object]]) -> None:
        # Orders saved before quality settings existed lack the fields that came with them.
        self.refund_partial, self.drop_share = True, 0.0
        for name, value in state[1].items():
            setattr(self, name, value)

    @property
    def total(self) -> int:
        """Units ordered, over all runs."""
        return self.quantity * self.runs

    @property
    def start_at(self) -> float:
        return self.created_at + self.service.start_delay

    def _run_starts(self) -> list[float]:
        return [self.start_at + run * self.interval * 60.0 for run in range(self.runs)]

    def _flow(self, now: float) -> float:
        """Units delivered by `now` had the order no end (a continuous amount)."""
        speed = self.service.speed
        return sum(min(self.quantity, max(0.0, (now - s) * speed)) for s in self._run_starts())

    def _time_to_deliver(self, units: int) -> float:
        if units <= 0:
            return self.start_at
        if self.runs == 1:
            return self.start_at + units / self.service.speed
        # Runs may overlap when a run takes longer than the interval; search the monotone flow.
        low, high = self.start_at, self._run_starts()[-1] + self.quantity / self.service.speed
        for _ in range(64):
            middle = (low + high) / 2
            if self._flow(middle) >= units:
                high = middle
            else:
                low = middle
        return high

    def delivered_at(self, now: float) -> int:
        """Units delivered by `now`."""
        if self.stopped is not None:
            return self.stopped[1]
        if now >= self.final_at:
            return self.target
        return min(math.floor(self._flow(now)), self.target - 1)

    def state_at(self, now: float) -> OrderState:
        """The order's state at `now`."""
        if self.stopped is not None:
            return self.stopped[0]
        if now >= self.final_at:
            return OrderState.COMPLETED if self.target >= self.total else OrderState.PARTIAL
        if now < self.start_at:
            return OrderState.PENDING
        return OrderState.IN_PROGRESS

    def stop(self, state: OrderState, delivered: int) -> Decimal:
        """End the order with `delivered` units; returns the amount to refund."""
        charge = (self.cost * delivered / self.total).quantize(CENT_FRACTION, rounding=ROUND_DOWN)
        refund = self.charge - charge
        self.charge = charge
        self.stopped = (state, delivered)
        return refund

    def settle(self) -> Decimal:
        """End a Partial order on its schedule; returns the refund (none if the panel keeps
        the charge of its partials)."""
        if not self.refund_partial:
            self.stopped = (OrderState.PARTIAL, self.target)
            return Decimal(0)
        return self.stop(OrderState.PARTIAL, self.target)

    def view(self, now: float) -> OrderView:
        """The status answer's content at `now`."""
        state = self.state_at(now)
        delivered = self.delivered_at(now)
        started = state is not OrderState.PENDING and not (
            state is OrderState.CANCELED and delivered == 0
        )
        return OrderView(
            state=state,
            charge=self.charge,
            start_count=self.start_count if started else 0,
            remains=self.total - delivered,
            delivered=delivered,
            currency=self.currency,
        )


REFILL_PENDING = 60.0
REFILL_WORK = 300.0


@dataclass(frozen=True, slots=True)
class SimRefill:
    """A refill request: Pending, then In progress, then Completed, or Rejected after review."""

    id: int
    order_id: int
    key: str
    created_at: float
    rejected: bool

    @property
    def done_at(self) -> float | None:
        """When the refill completes; ``None`` if it is rejected."""
        return None if self.rejected else self.created_at + REFILL_PENDING + REFILL_WORK

    def state_at(self, now: float) -> RefillState:
        """The refill's state at `now`."""
        age = now - self.created_at
        if age < REFILL_PENDING:
            return RefillState.PENDING
        if self.rejected:
            return RefillState.REJECTED
        if age < REFILL_PENDING + REFILL_WORK:
            return RefillState.IN_PROGRESS
        return RefillState.COMPLETED
