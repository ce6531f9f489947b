"""Resolving an ``UNCONFIRMED`` order by an operator's word, once they have checked the panel.

A v2 panel cannot be asked which orders exist for a link, so an order whose ``add`` answer was
lost stays ``UNCONFIRMED`` until a late answer arrives (placement records it) or an operator
looks at the panel's order list and says what happened::

    row = await orders.resolve(12, provider_order_id="23501", by="cli:ops")  # placed: PENDING
    row = await orders.resolve(13, not_placed=True, by="api-key:ops#3")      # FAILED, no charge

A placed resolution is checked with the panel first (a status call for that id) and refused if
another order of the same provider already has the id: a typo would otherwise make the gateway
follow, and report the charge of, an order that is not this one. ``force`` records it anyway
(a panel that was reset hands out ids again). Errors, under ``OrderError``::

    OrderError
    ├── NotUnconfirmed          the order is not (or no longer) UNCONFIRMED
    └── InvalidResolution       neither or both answers, a bad id, one already used, one the
                                panel does not know or cannot be asked about (see `code`)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from gateway import events
from gateway.orders.base import OrdersBase
from gateway.orders.errors import OrderError, OrderUnknown
from gateway.store import GatewayState, OrderNotFound, OrderRow, StaleOrder
from providers.errors import NotFound, ProviderError
from providers.models import OrderState

# Ids as panels write them (numbers, hex, ``ord_...``); never a comma, which would split the
# status sync's batched ``orders`` list.
PROVIDER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")

RESOLVED = "resolved"
"""The history kind of a resolution."""
UNKNOWN = "PROVIDER_ORDER_UNKNOWN"
UNAVAILABLE = "PROVIDER_UNAVAILABLE"
IN_USE = "PROVIDER_ORDER_IN_USE"


class NotUnconfirmed(OrderError):
    """Only an ``UNCONFIRMED`` order can be resolved; `state` is the order's."""

    code = "ORDER_NOT_UNCONFIRMED"

    def __init__(self, order_id: int, state: str) -> None:
        super().__init__(
            f"order {order_id} is {state}, not UNCONFIRMED: only an unconfirmed order "
            "can be resolved"
        )
        self.state = state


class InvalidResolution(OrderError):
    """The resolution cannot be recorded as given; `code` says why, `field` names the input."""

    code = "INVALID_RESOLUTION"

    def __init__(
        self, message: str, *, code: str = "INVALID_RESOLUTION", field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def _checked_id(text: str) -> str:
    pid = text.strip()
    if not PROVIDER_ID.fullmatch(pid):
        raise InvalidResolution(
            "a provider order id is 1 to 100 letters, digits or _.:-", field="provider_order_id"
        )
    return pid


class Resolution(OrdersBase):
    """An operator's answer to an ``UNCONFIRMED`` order."""

    async def resolve(
        self,
        order_id: int,
        *,
        by: str,
        provider_order_id: str | None = None,
        not_placed: bool = False,
        force: bool = False,
    ) -> OrderRow:
        """Record that the order was placed as `provider_order_id` (it becomes ``PENDING`` and
        due for the status sync now) or was `not_placed` (``FAILED``, nothing charged).

        `by` names who said so; it goes into the history entry and the event.
        """
        if (provider_order_id is not None) == not_placed:
            raise InvalidResolution("give exactly one: the provider order id, or not placed")
        try:
            row = await self.store.get_order(order_id)
        except OrderNotFound:
            raise OrderUnknown(f"unknown order {order_id}") from None
        if row.state != GatewayState.UNCONFIRMED:
            raise NotUnconfirmed(order_id, row.state)
        who = {"by": by}
        if provider_order_id is None:
            note = f"not placed at {row.provider or 'any provider'} (resolved by {by})"
            changes: dict[str, Any] = {
                "state": GatewayState.FAILED, "error": note, "charge": None,
                "next_poll_at": None, "event_data": {"outcome": "not_placed", **who},
            }  # fmt: skip
        else:
            pid = _checked_id(provider_order_id)
            checked = await self._check_placed(row, pid, force)
            changes = {
                "state": OrderState.PENDING, "provider_order_id": pid, "error": None,
                # Due now: the status sync fetches its status, charge and currency at once.
                "next_poll_at": datetime.now(UTC),
                "event_data": {"outcome": "placed", "provider_order_id": pid, **who, **checked},
            }  # fmt: skip
            if "also_order" in checked:
                # Flagged like a placement given a reused id; both orders stay readable.
                changes["flags"] = [*(row.flags or []), events.FLAG_PROVIDER_ORDER_ID_REUSED]
        return await self._record(row, changes)

    async def _check_placed(self, row: OrderRow, pid: str, force: bool) -> dict[str, Any]:
        """Refuse an id another order of the provider has or the panel does not know, unless
        `force`; what was found goes into the history entry."""
        if row.provider is None:
            raise InvalidResolution(
                f"order {row.id} was never routed to a provider", field="provider_order_id"
            )
        found: dict[str, Any] = {}
        other = await self.store.find_by_provider_order(row.provider, pid)
        if other is not None and other.id != row.id:
            if not force:
                raise InvalidResolution(
                    f"{row.provider} order {pid} is already order {other.id}'s; check the id, "
                    "or force it (--force, or force: true) if the panel reused it",
                    code=IN_USE, field="provider_order_id",
                )  # fmt: skip
            found["also_order"] = other.id
        problem = await self._panel_problem(row.provider, pid)
        if problem is not None:
            code, message = problem
            if not force:
                raise InvalidResolution(
                    f"{message}; check the id, or force it (--force, or force: true) to record "
                    "it unchecked",
                    code=code, field="provider_order_id",
                )  # fmt: skip
            found["unchecked"] = message
        if found:
            found["forced"] = True
        return found

    async def _panel_problem(self, name: str, pid: str) -> tuple[str, str] | None:
        """Why the panel does not vouch for order `pid` (a code and a message), or None when
        it knows it."""
        provider = self.providers.get(name)
        if provider is None:
            return UNAVAILABLE, f"provider {name} is no longer configured"
        try:
            answer: object = (await provider.status([pid])).get(pid)
        except ProviderError as exc:
            answer = exc
        if isinstance(answer, NotFound):
            return UNKNOWN, f"{name} does not know order {pid}"
        if answer is None or isinstance(answer, ProviderError):
            reason = "no answer" if answer is None else answer.message
            return UNAVAILABLE, f"cannot ask {name} about order {pid}: {reason}"
        return None

    async def _record(self, row: OrderRow, changes: dict[str, Any]) -> OrderRow:
        data = changes.pop("event_data")
        try:
            async with self.store.transaction() as tx:
                after = await self.store.update_order(
                    row.id, event_kind=RESOLVED, event_data=data,
                    expected_version=row.version, tx=tx, **changes,
                )  # fmt: skip
                event = events.order_event(row, after, resolution=data)
                await events.record(self.store, tx, [event])
        except StaleOrder:
            # Changed while the panel was asked: a late answer settled it, or another operator.
            latest = await self.store.get_order(row.id)
            if latest.state != GatewayState.UNCONFIRMED:
                raise NotUnconfirmed(row.id, latest.state) from None
            return await self._record(latest, {**changes, "event_data": data})
        return after
