"""A client order made of child orders, as one order: its status is the aggregate of its children.

The `plan` of such an order (`gateway.orders.split`, `gateway.orders.drip`) says what it is made
of: ``{"kind": "split", "parts": [q1, q2, ...]}``, or ``{"kind": "drip", "runs": n, "quantity":
q, "interval": minutes, "launched": k, "stopped": bool}``, with the runs replaced
(``"replaced"``) and why the runs left were given up (``"gave_up"``), if any. The aggregate,
over the children that count (not the replaced runs):

- `remains`: what is not delivered yet, summed: an open child's remains (its quantity while
  unknown), a final child's undelivered part (a partial's remains, none without them; all of a
  canceled, refunded, expired or failed child), and every unit of the runs not launched yet;
- `start_count`: the first child's; `charge`: the children's charges summed, in the base
  currency (a child charged in another currency converts at its quote's rate);
- `state`: final once every child is and no run is left: ``COMPLETED`` when all was delivered,
  ``FAILED`` when every child provably failed, ``CANCELED`` (``REFUNDED`` when every child was)
  when nothing was, ``PARTIAL`` otherwise; open, ``IN_PROGRESS`` once any child started or
  delivered, else ``PENDING``. A child whose outcome is unknown (``UNCONFIRMED``) keeps the
  client order open, flagged `UNCONFIRMED_PART`, until an operator resolves it.

An account's hold is on the client order alone, and is settled when the aggregate becomes final
(``PARTIAL``: each child's undelivered share of its own client price is refunded,
`gateway.store.split_refunds`), so the money follows the children's outcome exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from gateway.store import GatewayState, OrderRow
from gateway.store.account_ledger import refund_due
from gateway.store.split_refunds import DRIP as DRIP
from gateway.store.split_refunds import SPLIT as SPLIT
from gateway.store.split_refunds import counted as counted
from gateway.store.split_refunds import undelivered as undelivered
from gateway.store.split_refunds import units_of as units_of
from gateway.store.states import is_final
from gateway.store.types import canonical_amount
from providers.models import OrderState

UNCONFIRMED_PART = "unconfirmed_part"
"""The flag of a client order one of whose children has an unknown outcome."""
_STARTED = frozenset({OrderState.IN_PROGRESS, OrderState.COMPLETED, OrderState.PARTIAL})


def planned_units(plan: dict[str, Any]) -> int:
    """Every unit the client order asks for."""
    if plan["kind"] == DRIP:
        return int(plan["runs"]) * int(plan["quantity"])
    return sum(int(q) for q in plan["parts"])


def runs_left(plan: dict[str, Any]) -> int:
    """Drip runs not launched yet (none once stopped, and none for a split)."""
    if plan["kind"] != DRIP:
        return 0
    return int(plan["runs"]) - int(plan.get("launched", 0))


def base_charge(child: OrderRow, base_currency: str) -> Decimal | None:
    """A child's charge in the base currency, as far as the ledger knows it."""
    if child.charge is None:
        return None
    charged_in = child.charge_currency or child.provider_currency
    if charged_in in (None, base_currency):
        return child.charge
    if charged_in == child.provider_currency and child.provider_cost and child.quoted_cost:
        return child.charge * child.quoted_cost / child.provider_cost
    return child.quoted_cost


def _final_state(children: Sequence[OrderRow], remains: int, total: int) -> str:
    if remains == 0 and children:
        return OrderState.COMPLETED
    if remains < total:
        return OrderState.PARTIAL
    if children and all(c.state == GatewayState.FAILED for c in children):
        return GatewayState.FAILED
    if children and all(c.state == OrderState.REFUNDED for c in children):
        return OrderState.REFUNDED
    return OrderState.CANCELED


def aggregate(parent: OrderRow, children: Sequence[OrderRow], base_currency: str) -> dict[str, Any]:
    """The status columns of `parent` as its `children` make them (see the module docstring)."""
    plan = parent.plan or {}
    children = counted(plan, children)
    total = planned_units(plan)
    left = 0 if plan.get("stopped") else runs_left(plan)
    remains = sum(undelivered(c) for c in children) + runs_left(plan) * int(plan.get("quantity", 0))
    unknown = [c for c in children if c.state == GatewayState.UNCONFIRMED]
    expected = len(plan["parts"]) if plan.get("kind") == SPLIT else None
    complete = expected is None or len(children) >= expected
    if complete and not left and all(is_final(c.state) for c in children):
        state = _final_state(children, remains, total)
    elif any(c.state in _STARTED for c in children):
        state = OrderState.IN_PROGRESS
    else:
        state = OrderState.PENDING
    charges = [base_charge(c, base_currency) for c in children]
    charge = None
    if any(amount is not None for amount in charges):
        # As the ledger keeps it: a converted charge's long digits would differ from the stored
        # amount on every comparison, and the row would be rewritten on every job run.
        charge = canonical_amount(sum((amount or Decimal(0) for amount in charges), Decimal(0)))
    flags = [f for f in parent.flags or () if f != UNCONFIRMED_PART]
    if unknown:
        flags.append(UNCONFIRMED_PART)
    errors = [f"order {c.id}: {c.error}" for c in children if c.error and not _placed(c)]
    if plan.get("gave_up"):
        errors.append(str(plan["gave_up"]))
    return {
        "state": state,
        "start_count": children[0].start_count if children else None,
        "remains": remains,
        "charge": charge,
        "charge_currency": base_currency if charge is not None else None,
        "flags": flags or None,
        "error": "; ".join(errors) or None,
    }


def _placed(child: OrderRow) -> bool:
    return child.provider_order_id is not None and child.state != GatewayState.UNCONFIRMED


def changed(parent: OrderRow, values: dict[str, Any]) -> bool:
    """Whether `values` differ from what `parent` holds."""
    return any(getattr(parent, name) != value for name, value in values.items())


def as_viewed(parent: OrderRow, children: Sequence[OrderRow], base_currency: str) -> OrderRow:
    """`parent` as its client sees it: the aggregate over its stored row. An account's order
    final by its children but not settled yet (the child-orders job has not written it) shows
    the charge settlement will make: its price less what settlement will refund."""
    shown = replace(parent, **aggregate(parent, children, base_currency))
    price = shown.client_price
    if shown.account_id is None or price is None or shown.client_charge is not None:
        return shown
    if not is_final(shown.state):
        return shown
    return replace(shown, client_charge=price - refund_due(shown, price, children))
