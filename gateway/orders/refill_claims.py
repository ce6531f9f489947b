"""Waiting on a refill claim another process made, until the panel has answered it.

A claim (`Store.claim_refills`) is a refill row written before its panel is asked, without the
panel's refill id. Another request for the same order finds it and shares it, but only once
the panel has answered: a refused claim is removed (no refill came of it), and a claim told to
a client before that could name a refill that never exists. So a request that found someone
else's claim reads it again until it has the panel's id, has ended (``FAILED``), is gone, or
is old enough to count as abandoned (its requester died; a new claim replaces it)::

    shared, again = await shared_claims(store, {order_id: claim}, rows, clock=clock, ttl=ttl)
    # shared: order id -> Outcome with the refill; again: the orders to ask for afresh
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from gateway.orders.outcomes import REFILL_REFUSED, Outcome
from gateway.store import OrderRow, RefillRow, Store
from gateway.store.refills import OPEN_REFILL_STATES


def answered(refill: RefillRow) -> bool:
    """Whether a refill row is past its claim: the panel's id recorded, or the refill ended."""
    return refill.provider_refill_id is not None or refill.state not in OPEN_REFILL_STATES


async def settled_claims(
    store: Store,
    claims: Mapping[int, RefillRow],
    *,
    clock: Callable[[], datetime],
    ttl: timedelta,
    every: float = 0.05,
    most: float = 0.5,
) -> dict[int, RefillRow | None]:
    """Each order's claim (order id -> refill) once answered, or None once it is gone or
    abandoned (older than `ttl`): read again every `every` seconds, growing to `most`."""
    waiting = dict(claims)
    settled: dict[int, RefillRow | None] = {}
    pause = every
    while waiting:
        rows = {r.id: r for r in await store.get_refills(c.id for c in waiting.values())}
        for order_id, claim in list(waiting.items()):
            row = rows.get(claim.id)
            if row is None or answered(row) or row.created_at < clock() - ttl:
                settled[order_id] = row if row is not None and answered(row) else None
                del waiting[order_id]
        if waiting:
            await asyncio.sleep(pause)
            pause = min(pause * 2, most)
    return settled


async def shared_claims(
    store: Store,
    theirs: Mapping[int, RefillRow],
    rows: Mapping[int, OrderRow],
    *,
    clock: Callable[[], datetime],
    ttl: timedelta,
) -> tuple[dict[int, Outcome], list[OrderRow]]:
    """The outcomes of orders whose claim another request made (`theirs`), once answered:
    its refill, or a refusal when it ended ``FAILED`` (an unknown outcome); and the orders
    whose claim is gone (refused) or abandoned, for the caller to ask for itself."""
    outcomes: dict[int, Outcome] = {}
    again: list[OrderRow] = []
    for order_id, refill in (await settled_claims(store, theirs, clock=clock, ttl=ttl)).items():
        row = rows[order_id]
        if refill is None:
            again.append(row)
        elif refill.state in OPEN_REFILL_STATES:
            outcomes[order_id] = Outcome(order_id, row, refill=refill)
        else:
            outcomes[order_id] = Outcome(order_id, row, refill.error, client_error=REFILL_REFUSED)
    return outcomes, again
