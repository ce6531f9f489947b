"""Drip runs that failed with proof that nothing was placed, launched again.

A run of a drip-feed the gateway runs itself (`gateway.orders.drip`) that ends ``FAILED`` (every
member refused it with an answer that proves nothing was placed: a link busy, no funds, a
request that never left; no member could take it at all; or a process stopped before sending it,
settled by `Sending.settle_interrupted`) is *replaced*: its child order stays in the ledger,
``FAILED``, its error and history saying it was replaced (a ``run_replaced`` entry naming the
client order), the plan lists it under ``"replaced"`` (``[child id, run]``) and counts it as
not launched (``"launched"`` moved back), and the run falls due again `RUN_RETRY` later. A replaced
run is no longer one of the client order's runs: its status, remains and refund
(`gateway.orders.split_status`, `gateway.store.split_refunds`) count the run as not launched
until it is launched again, so they stay exact.

A run is tried `RUN_ATTEMPTS` times at most. When the last attempt fails too, the drip-feed's
runs left are stopped, with the reason kept in the plan (``"gave_up"``, shown as the client
order's error): they count as undelivered, refunded with the rest, as after a cancel.

Never replaced: a run whose outcome is unknown (``UNCONFIRMED``: it may have been placed), one
that failed on the client's own mistake (a bad link or a missing field: every attempt would
fail alike), one the provider placed late, and any run of a drip-feed already stopped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from gateway import events
from gateway.orders.base import OrdersBase
from gateway.orders.sending import PLACED_AFTER_SETTLEMENT
from gateway.orders.split_status import DRIP, counted
from gateway.store import GatewayState, OrderRow, StaleOrder
from providers.errors import InvalidLink, MissingField

log = logging.getLogger(__name__)

RUN_ATTEMPTS = 5
"""How many times one run is tried before the drip-feed's runs left are given up."""
RUN_RETRY = timedelta(minutes=1)
"""How long a due run waits, when the run before it is still open, no member can take it for
the moment, or it was just replaced, before it is tried again."""
_CLIENT_MISTAKES = frozenset({InvalidLink.__name__, MissingField.__name__, "Canceled"})
"""Failures another attempt would meet again (or that the client asked for)."""


def replaceable(child: OrderRow) -> bool:
    """Whether a run failed with proof that nothing was placed, and another attempt may not."""
    if child.state != GatewayState.FAILED or child.provider_order_id is not None:
        return False
    if PLACED_AFTER_SETTLEMENT in (child.flags or ()):
        return False
    return not {str(a.get("error")) for a in child.attempts} & _CLIENT_MISTAKES


def _tries(plan: dict[str, Any], run: int) -> int:
    """How many times run number `run` was tried and replaced."""
    return sum(1 for _, replaced_run in plan.get("replaced", ()) if int(replaced_run) == run)


def gave_up_message(run: int, left: int) -> str:
    return (
        f"run {run} was not placed in {RUN_ATTEMPTS} attempts; "
        f"the {left} run(s) left were stopped and are not charged"
    )


async def replace_run(
    orders: OrdersBase, parent: OrderRow, child: OrderRow, now: datetime
) -> OrderRow | None:
    """`parent` with its run `child` replaced (see the module docstring), or its runs left
    stopped once `child`'s run has had its `RUN_ATTEMPTS`; ``None`` when `child` is not to be
    replaced (its outcome unknown, a client mistake, not the latest run, the runs stopped)."""
    if not replaceable(child):
        return None
    while True:
        plan = parent.plan or {}
        if plan.get("kind") != DRIP or plan.get("stopped"):
            return None
        children = (await orders.store.children_of([parent.id])).get(parent.id, [])
        runs = counted(plan, children)
        launched = int(plan["launched"])
        if not runs or runs[-1].id != child.id or len(runs) != launched:
            return None
        tries = _tries(plan, launched) + 1
        try:
            if tries >= RUN_ATTEMPTS:
                left = int(plan["runs"]) - launched
                reason = gave_up_message(launched, left)
                log.warning("order %s: %s", parent.id, reason)
                return await orders._change(
                    parent, event_kind="runs_given_up",
                    event_data={"run": launched, "order": child.id, "left": left},
                    plan={**plan, "stopped": True, "gave_up": reason}, next_run_at=None,
                )  # fmt: skip
            log.info(
                "order %s: run %s (order %s) not placed, tried again (attempt %s of %s)",
                parent.id, launched, child.id, tries + 1, RUN_ATTEMPTS,
            )  # fmt: skip
            return await _replaced(orders, parent, child, launched, tries, now)
        except StaleOrder:
            parent = await orders.store.get_order(parent.id)


def replaced_note(parent_id: int) -> str:
    """What a replaced run's error adds to its refusal."""
    return f"replaced: order {parent_id} launches its run again"


async def _replaced(
    orders: OrdersBase, parent: OrderRow, child: OrderRow, run: int, tries: int, now: datetime
) -> OrderRow:
    """`parent` with run `run` (`child`) listed as replaced and due again, and `child` marked
    replaced, in one transaction; `StaleOrder` when `parent` changed meanwhile."""
    plan = parent.plan or {}
    replaced = [*plan.get("replaced", ()), [child.id, run]]
    error = "; ".join(e for e in (child.error, replaced_note(parent.id)) if e)
    async with orders.store.transaction() as tx:
        after = await orders.store.update_order(
            parent.id, event_kind="run_replaced",
            event_data={"run": run, "order": child.id, "attempt": tries},
            expected_version=parent.version, expected_state=parent.state, tx=tx,
            plan={**plan, "launched": run - 1, "replaced": replaced}, next_run_at=now + RUN_RETRY,
        )  # fmt: skip
        await events.record(orders.store, tx, [events.order_event(parent, after)])
        # The child's own history says so: it stays FAILED (it did fail), no longer a run.
        await orders.store.update_order(
            child.id, event_kind="run_replaced", tx=tx, error=error,
            event_data={"order": parent.id, "run": run, "attempt": tries},
        )  # fmt: skip
    return after
