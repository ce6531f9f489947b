"""Cancel claims: one request at a time asks a panel to cancel an order, in any process.

The claim is a ``cancel_requesting`` entry in the order's history, written while the order is
locked; the answer follows as ``cancel_requested`` (accepted), ``cancel_refused``, or
``cancel_unconfirmed`` (the answer was lost: the panel may have canceled it). Another request
for the same order meanwhile, or after an accepted or a recent unconfirmed cancel of an order
still open, is told so instead of asking the panel again: a second cancel of an order the panel
canceled is refused there, and would tell the client the order cannot be canceled. The status
sync says what became of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.states import FINAL_STATES
from gateway.store.tables import order_events, orders

REQUESTING = "cancel_requesting"
REQUESTED = "cancel_requested"
REFUSED = "cancel_refused"
UNCONFIRMED = "cancel_unconfirmed"
_KINDS = [REQUESTING, REQUESTED, REFUSED, UNCONFIRMED]


class CancelClaim(StrEnum):
    CLAIMED = "claimed"
    """This caller asks the panel and records the answer."""
    REQUESTED = "requested"
    """The panel accepted a cancel of this open order already."""
    IN_FLIGHT = "in_flight"
    """Another request is asking the panel now."""
    UNCONFIRMED = "unconfirmed"
    """A cancel of this open order was sent and its answer lost."""


class CancelQueries(Queries):
    """Claiming the right to ask a panel for a cancel."""

    async def claim_cancels(
        self,
        ids: Iterable[int],
        *,
        in_flight_after: datetime,
        tx: AsyncConnection | None = None,
    ) -> dict[int, CancelClaim]:
        """Each existing order's claim. A ``cancel_requesting`` entry older than
        `in_flight_after` belongs to a request that died and no longer holds the order; a
        ``cancel_unconfirmed`` one that old, of an order still open, is taken for a cancel
        that did not happen (the status sync would have seen it), so the panel is asked again."""
        wanted = list(dict.fromkeys(ids))
        claims: dict[int, CancelClaim] = {}
        now = self._clock()
        async with self._write(tx) as conn:
            for batch in chunks(wanted):
                states = dict(
                    (
                        await conn.execute(
                            select(orders.c.id, orders.c.state)
                            .where(orders.c.id.in_(batch))
                            .with_for_update()
                        )
                    ).all()
                )
                latest: dict[int, tuple[str, datetime]] = {}
                history = await conn.execute(
                    select(order_events.c.order_id, order_events.c.kind, order_events.c.at)
                    .where(order_events.c.order_id.in_(batch))
                    .where(order_events.c.kind.in_(_KINDS))
                    .order_by(order_events.c.id)
                )
                for order_id, kind, at in history:
                    latest[order_id] = (kind, at)
                claimed = []
                for order_id, state in states.items():
                    kind, at = latest.get(order_id, ("", now))
                    recent = at >= in_flight_after
                    if kind == REQUESTING and recent:
                        claims[order_id] = CancelClaim.IN_FLIGHT
                    elif kind == REQUESTED and state not in FINAL_STATES:
                        claims[order_id] = CancelClaim.REQUESTED
                    elif kind == UNCONFIRMED and state not in FINAL_STATES and recent:
                        claims[order_id] = CancelClaim.UNCONFIRMED
                    else:
                        claims[order_id] = CancelClaim.CLAIMED
                        claimed.append(
                            {"order_id": order_id, "at": now, "kind": REQUESTING,
                             "from_state": state, "to_state": state, "data": None}
                        )  # fmt: skip
                if claimed:
                    await conn.execute(order_events.insert(), claimed)
        return claims

    async def cancel_answers(
        self, ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> dict[int, tuple[str, datetime, dict[str, str] | None]]:
        """The latest cancel entry of each order that has one: its kind (requesting, requested,
        refused or unconfirmed), when, and its data (a refusal's error)."""
        latest: dict[int, tuple[str, datetime, dict[str, str] | None]] = {}
        async with self._read(tx) as conn:
            for batch in chunks(list(dict.fromkeys(ids))):
                history = await conn.execute(
                    select(
                        order_events.c.order_id, order_events.c.kind, order_events.c.at,
                        order_events.c.data,
                    )
                    .where(order_events.c.order_id.in_(batch))
                    .where(order_events.c.kind.in_(_KINDS))
                    .order_by(order_events.c.id)
                )  # fmt: skip
                for order_id, kind, at, data in history:
                    latest[order_id] = (kind, at, data)
        return latest
