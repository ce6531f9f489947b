"""What one order or refill adds to its provider service's quality bucket: the `Counts`, worked
out from the row alone (`gateway.store.quality` writes them).

>>> (Counts(finished=1, completed=1) + Counts(finished=1, partial=1)).finished
2
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from gateway.store.quality_tables import COUNTS
from gateway.store.rows import OrderRow, RefillRow
from gateway.store.states import GatewayState, is_final
from providers.models import OrderState, RefillState

_CANCELED = frozenset({OrderState.CANCELED.value, OrderState.REFUNDED.value})
_MS = timedelta(milliseconds=1)
_MICROS = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Counts:
    """Sums of the bucket columns (see ``quality_tables.COUNTS``); adding two adds each."""

    finished: int = 0
    completed: int = 0
    partial: int = 0
    canceled: int = 0
    failed: int = 0
    units_orders: int = 0
    units_ordered: int = 0
    units_delivered: int = 0
    start_ms: int = 0
    starts: int = 0
    complete_ms_per_k: int = 0
    completes: int = 0
    refills_requested: int = 0
    refills_finished: int = 0
    refills_completed: int = 0
    charges: int = 0
    charged_micros: int = 0
    cost_micros: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, n) + getattr(other, n) for n in COUNTS))

    def values(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}

    @property
    def empty(self) -> bool:
        return not any(self.values().values())


assert tuple(f.name for f in fields(Counts)) == COUNTS  # the table and the sums agree
_NOTHING = Counts()
"""What an order adds that adds nothing (frozen: one for all)."""


def _quantity(order: OrderRow) -> int | None:
    """The units the order asks for in all: its quantity (or its listed comments or usernames)
    times its runs when drip-fed; None for services that count no units (packages)."""
    stored = order.request
    quantity, runs = stored.get("quantity"), stored.get("runs")
    if (
        type(quantity) is int and quantity > 0
        and (runs is None or (type(runs) is int and runs > 0))
        and not stored.get("comments") and not stored.get("usernames")
    ):  # fmt: skip
        # The usual stored shape, validated when the order was placed: no need to again (the
        # status sync counts every order that finishes; validating one costs tens of us).
        return quantity * (runs or 1)
    try:
        request = order.order_request()
    except ValueError:  # a request stored before a field's rules changed: not counted in units
        return None
    if request.quantity is None and not request.comments and not request.usernames:
        return None
    return request.units * (request.runs or 1)


def _delivered(order: OrderRow, quantity: int) -> int | None:
    """Units delivered: quantity - remains; without remains, all of a completed order and none
    of a canceled one; unknown otherwise (a partial that names no remains)."""
    if order.remains is not None:
        return min(max(quantity - order.remains, 0), quantity)
    if order.state == OrderState.COMPLETED:
        return quantity
    if order.state in _CANCELED:
        return 0
    return None


def order_counts(order: OrderRow, started_at: datetime | None, finished_at: datetime) -> Counts:
    """What one order in a final state adds to its bucket.

    `started_at`: its first status showing progress, if any; `finished_at`: when it reached the
    final state. An order never sent (or never routed) adds nothing: no provider was asked.
    """
    if order.provider is None or order.sent_at is None or not is_final(order.state):
        return _NOTHING
    if order.state == GatewayState.FAILED:
        return Counts(failed=1)
    state = order.state
    values: dict[str, int] = {
        "finished": 1,
        "completed": int(state == OrderState.COMPLETED),
        "partial": int(state == OrderState.PARTIAL),
        "canceled": int(state in _CANCELED),
    }
    quantity = _quantity(order)
    delivered = None if quantity is None else _delivered(order, quantity)
    if quantity is not None and delivered is not None:
        values.update(units_orders=1, units_ordered=quantity, units_delivered=delivered)
    if started_at is not None:
        values.update(start_ms=max((started_at - order.sent_at) // _MS, 0), starts=1)
    if state == OrderState.COMPLETED and quantity is not None:
        took = max((finished_at - order.sent_at) // _MS, 0)
        values.update(complete_ms_per_k=took * 1000 // quantity, completes=1)
    values.update(_charge_counts(order))
    return Counts(**values)


def _micros(amount: Decimal) -> int:
    return int((amount * _MICROS).to_integral_value(ROUND_HALF_EVEN))


def _charge_counts(order: OrderRow) -> dict[str, int]:
    """A finished order's final charge against its quoted provider cost, when both are known
    in one currency (a charge in another currency, or none reported, is left out)."""
    charge, cost = order.charge, order.provider_cost
    if charge is None or cost is None or cost <= 0:
        return {}
    charged_in, quoted_in = order.charge_currency, order.provider_currency
    if charged_in and quoted_in and charged_in.upper() != quoted_in.upper():
        return {}
    charged = _micros(max(charge, Decimal(0)))
    return {"charges": 1, "charged_micros": charged, "cost_micros": _micros(cost)}


def refill_counts(before: RefillRow | None, after: RefillRow) -> tuple[Counts, Counts]:
    """What a refill's change adds: on the day it was asked for (accepted by its provider
    now), and on the day it ended (now, if it did)."""
    accepted = after.provider_refill_id is not None
    requested = accepted and (before is None or before.provider_refill_id is None)
    state = RefillState.parse(after.state)
    was_final = before is not None and RefillState.parse(before.state).final
    ended = accepted and state.final and not was_final
    completed = int(ended and state == RefillState.COMPLETED)
    return (
        Counts(refills_requested=int(requested)),
        Counts(refills_finished=int(ended), refills_completed=completed),
    )
