"""Refills and cancels ask a panel once per order, however many requests arrive together, in
one process or two sharing the ledger; an order with an open refill returns that refill."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.routing import Need
from gateway.store import OrderRow
from tests.gateway.panels import Trio, open_gateway, shared_group
from tests.gateway.syncing import sync_statuses
from tests.gateway.transports import Switchboard, open_switched_gateway


@pytest.fixture
async def other(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    """A second gateway on the same ledger and panels: another process, as far as they know."""
    async with open_gateway(settings, trio) as gateway:
        yield gateway


async def place(gw: Gateway, n: int) -> OrderRow:
    group = await shared_group(gw, refill=True, cancel=True)
    quantity = max(m.service.min for m in group.members)
    fields = {"link": f"https://instagram.com/p/{n}", "quantity": quantity}
    return await gw.place("c", group.id, fields, needs=frozenset({Need.REFILL, Need.CANCEL}))


def calls(trio: Trio, action: str) -> int:
    return sum(trio.calls(action).values())


async def test_fifty_concurrent_refills_of_one_order_make_one_call(
    gw: Gateway, other: Gateway, trio: Trio
) -> None:
    order = await place(gw, 1)
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    before = calls(trio, "refill")

    requests = [g.orders.refill([order.id], "c") for g in (gw, other) for _ in range(25)]
    outcomes = [o for answer in await asyncio.gather(*requests) for o in answer]
    assert calls(trio, "refill") - before == 1
    assert all(o.error is None and o.refill is not None for o in outcomes), outcomes[0]
    assert len({o.refill.id for o in outcomes if o.refill}) == 1, "one refill, shared"
    [refill] = await gw.store.refills_for_orders([order.id])
    assert refill.provider_refill_id

    [again] = await other.orders.refill([order.id], "c")
    assert again.refill is not None
    assert again.refill.id == refill.id, "an open refill is returned, not asked again"
    assert calls(trio, "refill") - before == 1


async def test_a_refused_refill_leaves_no_refill_and_may_be_asked_again(
    gw: Gateway, trio: Trio
) -> None:
    order = await place(gw, 2)
    before = calls(trio, "refill")
    first, second = await asyncio.gather(*(gw.orders.refill([order.id], "c") for _ in range(2)))
    assert first[0].error, "not complete yet: the panel refuses"
    assert first[0].refill is None
    assert second == first
    assert await gw.store.refills_for_orders([order.id]) == []
    [later] = await gw.orders.refill([order.id], "c")
    assert later.error == first[0].error
    assert calls(trio, "refill") - before == 2, "one call per request round, none shared twice"


async def test_requests_arriving_together_share_a_call_however_their_reads_are_scheduled(
    gw: Gateway, trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await place(gw, 4)
    read = gw.store.get_orders

    async def reads_late_for_the_second(ids: list[int]) -> list[OrderRow]:
        task = asyncio.current_task()
        if task is not None and task.get_name() == "second":
            await asyncio.sleep(0.3)  # the first request is answered meanwhile
        return await read(ids)

    monkeypatch.setattr(gw.store, "get_orders", reads_late_for_the_second)
    before = calls(trio, "refill")
    first = asyncio.create_task(gw.orders.refill([order.id], "c"), name="first")
    second = asyncio.create_task(gw.orders.refill([order.id], "c"), name="second")
    assert await second == await first
    assert (await first)[0].error, "not complete yet: the panel refuses"
    assert calls(trio, "refill") - before == 1


async def test_a_request_for_another_clients_order_does_not_answer_for_its_owner(
    gw: Gateway, trio: Trio
) -> None:
    order = await place(gw, 5)
    before = calls(trio, "refill")
    stranger, owner = await asyncio.gather(
        gw.orders.refill([order.id], "someone-else"), gw.orders.refill([order.id], "c")
    )
    assert stranger[0].error == "Incorrect order ID"
    assert stranger[0].order is None
    assert owner[0].order is not None
    assert owner[0].order.id == order.id
    assert owner[0].error is not None, "not complete yet: the panel refuses"
    assert owner[0].error != "Incorrect order ID"
    assert calls(trio, "refill") - before == 1


async def test_fifty_concurrent_cancels_of_one_order_make_one_call(
    gw: Gateway, other: Gateway, trio: Trio
) -> None:
    order = await place(gw, 3)
    before = calls(trio, "cancel")
    requests = [g.orders.cancel([order.id], "c") for g in (gw, other) for _ in range(25)]
    outcomes = [o for answer in await asyncio.gather(*requests) for o in answer]
    assert calls(trio, "cancel") - before == 1
    assert all(o.error is None and o.order is not None for o in outcomes)
    [again] = await gw.orders.cancel([order.id], "c")
    assert again.error is None, "already requested and still open: not asked again"
    assert calls(trio, "cancel") - before == 1
    history = [e.kind for e in await gw.store.order_events(order.id)]
    assert history.count("cancel_requesting") == 1
    assert history.count("cancel_requested") == 1


async def test_a_refill_another_process_is_asking_for_is_answered_with_the_panels_answer(
    gw: Gateway, settings: Settings, trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Process A asks the panel for a refill; a request for the same order reaches process B
    meanwhile. B must not answer with A's claim before the panel has answered: the panel
    refuses (the order is not complete), the claim is removed, and a refill id told to B's
    client would name no refill ("Refill not found")."""
    boards = {name: Switchboard() for name in trio.sims}
    async with open_switched_gateway(settings, trio, boards) as asking:
        order = await place(gw, 6)
        board = boards[order.provider or ""]
        board.hold("refill")
        first = asyncio.create_task(asking.orders.refill([order.id], "c"))
        await board.arrived.wait()  # A's claim is in the ledger, its call on the way

        claimed = asyncio.Event()
        claim = gw.store.claim_refills

        async def claim_and_tell(*args: Any, **kwargs: Any) -> Any:
            try:
                return await claim(*args, **kwargs)
            finally:
                claimed.set()

        monkeypatch.setattr(gw.store, "claim_refills", claim_and_tell)
        second = asyncio.create_task(gw.orders.refill([order.id], "c"))
        await claimed.wait()  # B found A's claim
        board.release()
        [a], [b] = await first, await second
    assert a.error, "not complete yet: the panel refuses"
    assert a.refill is None
    assert b.refill is None, "no refill came of the claim B found"
    assert b.shown == a.shown
    assert await gw.store.refills_for_orders([order.id]) == []


async def test_a_cancel_another_process_is_asking_for_is_answered_with_the_panels_answer(
    gw: Gateway, settings: Settings, trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Process A asks the panel to cancel an order; a cancel of it reaches process B
    meanwhile. B must answer what the panel answers A (here a refusal: the order completed
    upstream), not that the cancel was accepted, and without asking the panel again."""
    boards = {name: Switchboard() for name in trio.sims}
    async with open_switched_gateway(settings, trio, boards) as asking:
        order = await place(gw, 7)
        trio.advance(14 * 24 * 3600)  # complete upstream: the panel refuses to cancel it
        before = calls(trio, "cancel")
        board = boards[order.provider or ""]
        board.hold("cancel")
        first = asyncio.create_task(asking.orders.cancel([order.id], "c"))
        await board.arrived.wait()  # A's claim is in the ledger, its call on the way

        claimed = asyncio.Event()
        claim = gw.store.claim_cancels

        async def claim_and_tell(*args: Any, **kwargs: Any) -> Any:
            try:
                return await claim(*args, **kwargs)
            finally:
                claimed.set()

        monkeypatch.setattr(gw.store, "claim_cancels", claim_and_tell)
        second = asyncio.create_task(gw.orders.cancel([order.id], "c"))
        await claimed.wait()  # B found A's claim
        board.release()
        [a], [b] = await first, await second
    assert a.error, "completed upstream: the panel refuses"
    assert b.error == a.error
    assert b.shown == a.shown
    assert calls(trio, "cancel") - before == 1
