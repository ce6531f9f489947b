"""A cancel whose answer is lost (the connection dropped or timed out after the panel may have
canceled the order) is recorded as unconfirmed, not refused: the client is told its outcome is
unknown, a later cancel of the open order does not ask the panel again (a second cancel of an
order the panel already canceled would be refused, and the client told it cannot be canceled),
and the status sync settles it. Over simulated panels on loopback HTTP."""

from __future__ import annotations

from gateway.core import Gateway
from gateway.orders.outcomes import CANCEL_REFUSED, CANCEL_UNCONFIRMED
from gateway.store import OrderRow
from providers.models import OrderState
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.test_order_actions import calls, place


def lose_next_cancel_answer(trio: Trio, order: OrderRow, *, process: bool) -> None:
    """The order's panel drops its next cancel's answer, having canceled it (`process`) or
    not."""
    params = {"process": "true" if process else "false"}
    fault = Fault(FaultKind.DROP, actions=frozenset({"cancel"}), count=1, params=params)
    trio.sims[order.provider or ""].faults.add(fault)


async def test_a_cancel_whose_answer_is_lost_is_unconfirmed_and_not_asked_again(
    gw: Gateway, trio: Trio
) -> None:
    order = await place(gw, 31)
    lose_next_cancel_answer(trio, order, process=True)
    before = calls(trio, "cancel")

    [first] = await gw.orders.cancel([order.id], "c")
    assert first.order is not None
    assert first.error, "the panel's answer was lost"
    assert first.shown == CANCEL_UNCONFIRMED
    history = [e.kind for e in await gw.store.order_events(order.id)]
    assert "cancel_refused" not in history
    assert history.count("cancel_unconfirmed") == 1

    [again] = await gw.orders.cancel([order.id], "c")
    assert again.shown == CANCEL_UNCONFIRMED
    assert calls(trio, "cancel") - before == 1, "the open order's cancel is not asked again"

    await sync_statuses(gw)
    row = await gw.store.get_order(order.id)
    assert row.state == OrderState.CANCELED, "the panel did cancel it: the sync says so"


async def test_a_refused_cancel_stays_refused(gw: Gateway, trio: Trio) -> None:
    """The other side: a panel's refusal is recorded as refused, and may be asked again."""
    order = await place(gw, 32)
    trio.advance(14 * 24 * 3600)  # complete upstream: the panel refuses to cancel it
    before = calls(trio, "cancel")
    [first] = await gw.orders.cancel([order.id], "c")
    assert first.shown == CANCEL_REFUSED
    history = [e.kind for e in await gw.store.order_events(order.id)]
    assert history.count("cancel_refused") == 1
    assert "cancel_unconfirmed" not in history
    await gw.orders.cancel([order.id], "c")
    assert calls(trio, "cancel") - before == 2
