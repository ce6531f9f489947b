"""A cancel whose answer is lost (the connection dropped or timed out after the panel may have
canceled the order) is recorded as unconfirmed, not refused: the client is told its outcome is
unknown, a later cancel of the open order does not ask the panel again (a second cancel of an
order the panel already canceled would be refused, and the client told it cannot be canceled),
and the status sync settles it. Over simulated panels on loopback HTTP."""

from __future__ import annotations

import pytest

from gateway.core import Gateway
from gateway.orders.followups import CLAIM_TTL
from gateway.orders.outcomes import CANCEL_REFUSED, CANCEL_UNCONFIRMED
from gateway.store import OrderRow
from providers.models import OrderState
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.test_order_actions import calls, place


def lose_next_cancel_answer(trio: Trio, order: OrderRow, *, process: bool) -> None:
    """The order's panel loses its next cancel's answer: the connection dropped after it
    canceled the order (`process`), or a 502 page from a proxy that did not pass it on."""
    kind = FaultKind.DROP if process else FaultKind.HTTP_5XX
    fault = Fault(kind, actions=frozenset({"cancel"}), count=1)
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


async def test_an_unconfirmed_cancel_of_an_order_still_open_long_after_is_asked_again(
    gw: Gateway, trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost answer from a panel that did not cancel (a 5xx page before it did the work): once
    the order is still open well after (the status sync would have seen a cancel), the client's
    next cancel asks the panel again, and is accepted."""
    order = await place(gw, 33)
    lose_next_cancel_answer(trio, order, process=False)
    before = calls(trio, "cancel")
    [first] = await gw.orders.cancel([order.id], "c")
    assert first.shown == CANCEL_UNCONFIRMED
    await sync_statuses(gw)
    assert (await gw.store.get_order(order.id)).state != OrderState.CANCELED
    clock = gw.orders.clock
    monkeypatch.setattr(gw.orders, "clock", lambda: clock() + CLAIM_TTL * 2)
    [later] = await gw.orders.cancel([order.id], "c")
    assert later.error is None, later
    assert calls(trio, "cancel") - before == 2
    await sync_statuses(gw)
    assert (await gw.store.get_order(order.id)).state == OrderState.CANCELED


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
