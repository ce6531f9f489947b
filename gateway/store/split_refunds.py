"""What a client order made of child orders gives back: each part's own undelivered share of its
own price.

The parts of a split are priced apart (each at its own member's cost), and a drip's runs each at
the one-run price; the plan keeps those client prices (``"prices"``: one per split part, in the
order of its children; ``"price"``: one drip run's). A final client order refunds, summed over
its children, ``price x undelivered / units`` of each, plus the whole price of every drip run
not launched, rounded half-up to 4 places. A drip run replaced after it failed unplaced (the
plan's ``"replaced"``: ``[child id, run]`` pairs, `gateway.orders.drip_replace`) is no longer
one of its runs: the run it stood for counts as not launched until launched again. Settlement
(`gateway.store.account_ledger`) and the client's view of an unsettled order
(`gateway.orders.split_status`) both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.store.rows import OrderRow
from gateway.store.states import GatewayState
from providers.models import OrderState

CENT_FRACTION = Decimal("0.0001")
"""Client amounts are kept to 4 decimal places."""
SPLIT = "split"
DRIP = "drip"

_NOTHING_DELIVERED = frozenset(
    {OrderState.CANCELED, OrderState.REFUNDED, OrderState.EXPIRED, GatewayState.FAILED}
)


def units_of(row: OrderRow) -> int:
    """The units one child order asks for."""
    quantity = row.request.get("quantity")
    return int(quantity) if quantity is not None else 0


def undelivered(child: OrderRow) -> int:
    """What a child has not delivered: all of it until it says otherwise. A partial without
    remains counts as delivered (as a plain order's partial refunds nothing without them)."""
    units = units_of(child)
    if child.state == OrderState.COMPLETED:
        return 0
    if child.state in _NOTHING_DELIVERED:
        return units
    if child.remains is None:
        return 0 if child.state == OrderState.PARTIAL else units
    return max(0, min(units, child.remains))


def counted(plan: dict[str, Any], children: Sequence[OrderRow]) -> list[OrderRow]:
    """The `children` that count towards the client order: all but the replaced drip runs."""
    replaced = {int(pair[0]) for pair in plan.get("replaced", ())}
    if not replaced:
        return list(children)
    return [child for child in children if child.id not in replaced]


def _part_prices(plan: dict[str, Any], children: int) -> tuple[list[Decimal], int] | None:
    """Each child's client price, and the drip runs not launched (each at one run's price);
    ``None`` for a plan without prices (placed before they were kept)."""
    if plan.get("kind") == SPLIT and "prices" in plan:
        return [Decimal(str(p)) for p in plan["prices"]], 0
    if plan.get("kind") == DRIP and "price" in plan:
        price = Decimal(str(plan["price"]))
        return [price] * children, max(0, int(plan["runs"]) - children)
    return None


def parts_refund(parent: OrderRow, children: Sequence[OrderRow]) -> Decimal | None:
    """The undelivered share of each child's own price, summed, with the price of every drip
    run not launched; ``None`` when `parent`'s plan keeps no prices."""
    plan = parent.plan or {}
    children = counted(plan, children)
    found = _part_prices(plan, len(children))
    if found is None:
        return None
    prices, unlaunched = found
    total = Decimal(0)
    for child, price in zip(children, prices, strict=False):
        units = units_of(child)
        if units > 0:
            total += price * undelivered(child) / units
    if unlaunched:
        total += Decimal(str(plan["price"])) * unlaunched
    return total.quantize(CENT_FRACTION, rounding=ROUND_HALF_UP)
