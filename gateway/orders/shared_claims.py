"""Sharing a refill or cancel that another request is asking a panel for, once it answers.

In one process, requests arriving together share one call through futures (`ask_once`).
Across processes the ledger decides. A refill claim (`Store.claim_refills`) is a refill row
written before its panel is asked, without the panel's refill id; a cancel claim
(`Store.claim_cancels`) is a ``cancel_requesting`` entry in the order's history. Another
request for the same order, in any process, finds the claim and shares its answer instead of
asking the panel again, but only once the panel has answered: a refused refill claim is
removed (no refill came of it), and a refused cancel is recorded as refused, so a claim told
to a client before that could name a refill that never exists, or a cancel that never
happened. A request that found someone else's claim reads it again until it is answered, or
old enough (`ttl`) to count as abandoned (its requester died; the caller then asks the panel
itself)::

    shared, again = await shared_refills(store, {order_id: claim}, rows, clock=clock, ttl=ttl)
    # shared: order id -> Outcome as the panel answered; again: the orders to ask afresh
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from gateway.orders.outcomes import CANCEL_REFUSED, CANCEL_UNCONFIRMED, REFILL_REFUSED, Outcome
from gateway.store import OrderRow, RefillRow, Store
from gateway.store.cancels import REFUSED, REQUESTED, REQUESTING, UNCONFIRMED
from gateway.store.refills import HELD_REFILL_STATES, OPEN_REFILL_STATES

T = TypeVar("T")

SHOWN = "shown"
"""The key of a ``cancel_refused`` entry's data that keeps what its client was told."""
LOST = "the cancel was sent and its answer lost; its outcome is unknown"


def cancel_unconfirmed(row: OrderRow, data: Mapping[str, str] | None) -> Outcome:
    """The outcome of a cancel of `row` sent and unanswered (a ``cancel_unconfirmed`` entry's
    `data`): its error for the operator, `CANCEL_UNCONFIRMED` for the client."""
    error = (data or {}).get("error") or LOST
    return Outcome(row.id, row, error, client_error=CANCEL_UNCONFIRMED)


async def ask_once(
    in_flight: dict[int, asyncio.Future[Outcome]],
    wanted: list[int],
    ask: Callable[[list[int]], Awaitable[list[Outcome]]],
) -> tuple[dict[int, Outcome], dict[int, asyncio.Future[Outcome]]]:
    """In one process: `ask` for the orders of `wanted` no request is asking for (entered in
    `in_flight` until answered); their outcomes, and the futures of the others' requests."""
    joined = {i: in_flight[i] for i in wanted if i in in_flight}
    loop = asyncio.get_running_loop()
    futures = {i: loop.create_future() for i in wanted if i not in joined}
    in_flight.update(futures)
    try:
        answers = {o.order_id: o for o in await ask(list(futures))} if futures else {}
        for order_id, future in futures.items():
            future.set_result(answers[order_id])
    except BaseException as exc:
        for future in futures.values():
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: joiners, if any, raise it themselves
        raise
    finally:
        for order_id in futures:
            in_flight.pop(order_id, None)
    return answers, joined


def answered(refill: RefillRow) -> bool:
    """Whether a refill row is past its claim: the panel's id recorded, or the refill ended."""
    return refill.provider_refill_id is not None or refill.state not in OPEN_REFILL_STATES


async def _until_settled(
    ids: Collection[int],
    read: Callable[[set[int]], Awaitable[Mapping[int, T | None]]],
    settled: Callable[[T | None], bool],
    *,
    every: float = 0.05,
    most: float = 0.5,
) -> dict[int, T | None]:
    """`read` the ids still waiting every `every` seconds (growing to `most`) until each one's
    value is `settled`; each one's settled value."""
    waiting, done, pause = set(ids), {}, every
    while waiting:
        values = await read(waiting)
        for i in list(waiting):
            if settled(values.get(i)):
                done[i] = values.get(i)
                waiting.discard(i)
        if waiting:
            await asyncio.sleep(pause)
            pause = min(pause * 2, most)
    return done


async def shared_refills(
    store: Store,
    theirs: Mapping[int, RefillRow],
    rows: Mapping[int, OrderRow],
    *,
    clock: Callable[[], datetime],
    ttl: timedelta,
) -> tuple[dict[int, Outcome], list[OrderRow]]:
    """The outcomes of orders whose refill claim another request made (`theirs`, order id ->
    claim), once answered: its refill (``UNCONFIRMED`` too: its answer was lost, and the order
    is not asked again until an operator settles it), or a refusal when it ended ``FAILED``;
    and the orders whose claim is gone (refused) or abandoned, to ask afresh."""
    claim_ids = {claim.id: order_id for order_id, claim in theirs.items()}

    async def read(waiting: set[int]) -> dict[int, RefillRow | None]:
        found = await store.get_refills(theirs[i].id for i in waiting)
        return {claim_ids[r.id]: r for r in found}

    def settled(row: RefillRow | None) -> bool:
        return row is None or answered(row) or row.created_at < clock() - ttl

    outcomes: dict[int, Outcome] = {}
    again: list[OrderRow] = []
    for order_id, refill in (await _until_settled(theirs, read, settled)).items():
        row = rows[order_id]
        if refill is None or not answered(refill):
            again.append(row)
        elif refill.state in HELD_REFILL_STATES:
            outcomes[order_id] = Outcome(order_id, row, refill=refill)
        else:
            outcomes[order_id] = Outcome(order_id, row, refill.error, client_error=REFILL_REFUSED)
    return outcomes, again


async def shared_cancels(
    store: Store,
    theirs: Collection[int],
    rows: Mapping[int, OrderRow],
    *,
    clock: Callable[[], datetime],
    ttl: timedelta,
) -> tuple[dict[int, Outcome], list[OrderRow]]:
    """The outcomes of orders whose cancel another request is asking for (`theirs`), once
    the panel answered it: accepted, refused as its client was told, or unconfirmed (its
    answer lost); and the orders whose request was abandoned, to ask afresh."""

    def settled(latest: tuple[str, datetime, dict[str, str] | None] | None) -> bool:
        return latest is None or latest[0] != REQUESTING or latest[1] < clock() - ttl

    outcomes: dict[int, Outcome] = {}
    again: list[OrderRow] = []
    for order_id, latest in (await _until_settled(theirs, store.cancel_answers, settled)).items():
        row = rows[order_id]
        kind, _, data = latest or ("", None, None)
        if kind == REQUESTED:
            outcomes[order_id] = Outcome(order_id, row)
        elif kind == UNCONFIRMED:
            outcomes[order_id] = cancel_unconfirmed(row, data)
        elif kind == REFUSED:
            data = data or {}
            shown = data.get(SHOWN, CANCEL_REFUSED)
            outcomes[order_id] = Outcome(order_id, row, data.get("error"), client_error=shown)
        else:
            again.append(row)
    return outcomes, again
