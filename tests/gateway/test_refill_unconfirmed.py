"""A refill ask whose answer was lost (dropped connection, timeout, 5xx after sending) is
recorded as unconfirmed, never as failed, and the order is not asked again until an operator
settles it. Simulated panels over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from gateway.core import Gateway
from gateway.routing import Need
from gateway.store import OrderRow
from gateway.store.refills import REFILL_UNCONFIRMED
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, shared_group
from tests.gateway.syncing import sync_statuses


async def refillable(gw: Gateway, trio: Trio, n: int) -> OrderRow:
    """A completed order of a refill service, old enough for the panel to refill it."""
    group = await shared_group(gw, refill=True, cancel=True)
    quantity = max(m.service.min for m in group.members)
    fields = {"link": f"https://instagram.com/p/r{n}", "quantity": quantity}
    order = await gw.place("c", group.id, fields, needs=frozenset({Need.REFILL}))
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    return order


def lose_refill_answer(trio: Trio, order: OrderRow, kind: FaultKind) -> None:
    """The panel's next refill call is processed (where `kind` does) and its answer lost."""
    params = {"seconds": 30} if kind is FaultKind.TIMEOUT else {}
    rule = Fault(kind, actions=frozenset({"refill"}), count=1, params=params)
    trio.sims[order.provider or ""].faults.add(rule)


def refill_calls(trio: Trio, order: OrderRow) -> int:
    return trio.sims[order.provider or ""].panel.calls["refill"]


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.HTTP_5XX, FaultKind.TIMEOUT])
async def test_a_lost_refill_answer_is_unconfirmed_and_the_order_is_not_asked_again(
    gw: Gateway, trio: Trio, kind: FaultKind
) -> None:
    order = await refillable(gw, trio, 1)
    lose_refill_answer(trio, order, kind)
    before = refill_calls(trio, order)

    [first] = await gw.orders.refill([order.id], "c")
    assert first.refill is not None, first
    assert first.refill.state == REFILL_UNCONFIRMED
    assert first.error is None
    assert "outcome unknown" in (first.refill.error or ""), "the reason, for the operator"

    [again] = await gw.orders.refill([order.id], "c")
    assert again.refill is not None
    assert again.refill.id == first.refill.id, "the unconfirmed refill is returned"
    assert refill_calls(trio, order) - before == 1, "never asked of the panel twice"
    [stored] = await gw.store.refills_for_orders([order.id])
    assert stored.state == REFILL_UNCONFIRMED
