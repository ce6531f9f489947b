"""Sending an order to its providers, and what each answer makes of it.

An order fails, or moves on to the next member, only on an answer that proves it was not placed
(`ProviderError.not_placed`: no funds, unknown service, throttled, never sent...). A quantity
refusal moves on too, as limits are per provider and may be stale, and so does a panel's
refusal of a link it runs an order for already (`LinkBusy`: all clients share the gateway's
account there); the client's own mistakes (bad link, missing field) stop at once. Anything
else, a text no table explains included, leaves the order ``UNCONFIRMED`` and it is never sent
elsewhere.

The moment a request leaves is in the ledger: ``sent_at`` is written once the provider gives
the call its turn, before a byte goes; a new order's row is written only then, already marked
(the slot is taken before the row). After a crash, an order still ``RECEIVED`` without it
provably never left and fails; one with it may have been placed and is ``UNCONFIRMED``
(`gateway.orders.interrupted`).

Each change is made against the row as last read. When another writer got there first
(`StaleOrder`: a settlement of interrupted orders, an operator), the row is read again and the
change applied over it only where the sender knows better; otherwise the ledger's row stands.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from gateway import events
from gateway.orders.interrupted import Interrupted
from gateway.routing import Candidate, Quote
from gateway.store import GatewayState, OrderRow, StaleOrder
from gateway.store.order_changes import flagged_if_taken
from providers.errors import (
    Ambiguous,
    AuthenticationError,
    InvalidLink,
    MissingField,
    ProviderError,
    RateLimited,
    Unavailable,
)
from providers.models import OrderState, PlacedOrder

log = logging.getLogger(__name__)

# Failures that say something about the provider, not the order: they count against its health.
_PROVIDER_FAULTS = (Unavailable, RateLimited, AuthenticationError, Ambiguous)
# The client's own mistakes: every other provider would refuse the order too.
_CLIENT_ERRORS = (InvalidLink, MissingField)

_RECEIVED = frozenset({GatewayState.RECEIVED.value})
# What a sender's outcome may replace: its own row, or a settlement's guess that it died.
_UNSETTLED = _RECEIVED | {GatewayState.UNCONFIRMED.value}
# A provider's order id settles more: it also replaces a failure declared without it (unless
# that failure was settled for good: `_failed_for_good`).
_PLACEABLE = _UNSETTLED | {GatewayState.FAILED.value}

Unwritten = Callable[[bool], Awaitable[OrderRow]]
"""A new order not in the ledger yet: called once, it writes the order's row (routed to the
chosen candidate), marked sent when told so, and returns it."""
PLACED_AFTER_SETTLEMENT = "placed_after_settlement"
"""A flag: the provider placed the order after it had failed for good (its client was refunded,
or it is a part its parent no longer counts on); the panel's order is the operator's to handle."""


def _failed_for_good(order: OrderRow) -> bool:
    """A ``FAILED`` order a late placement must not reopen: an account's, whose hold was
    refunded (``client_charge`` set), or a part of a split or drip-fed order."""
    settled = order.client_charge is not None or order.parent_id is not None
    return order.state == GatewayState.FAILED and settled


class _Overtaken(Exception):
    """The order was settled by another writer before its request left: it must not leave."""

    def __init__(self, latest: OrderRow) -> None:
        super().__init__(f"order {latest.id} is already {latest.state}")
        self.latest = latest


class Sending(Interrupted):
    """Sending orders to providers (and, as `Interrupted`, settling the ones a stopped process
    left behind)."""

    async def _send(self, order: OrderRow | Unwritten, decision: Quote) -> OrderRow:
        """Send the order to its candidates in turn; see the module docstring.

        A new order may come `Unwritten`: its row is then written once the chosen provider
        gives the call its turn, marked sent in the same transaction, right before the request
        leaves (one transaction less; an order still waiting for its turn is in no ledger, so a
        crash cannot leave it ambiguous). Whatever else happens first (the chosen provider in
        cooldown, no turn in time), the row is written unsent before anything else is recorded.
        """
        attempts: list[dict[str, Any]] = []

        async def written() -> OrderRow:
            nonlocal order
            if not isinstance(order, OrderRow):
                order = await order(False)
            return order

        async def leaving() -> None:
            nonlocal order
            if isinstance(order, OrderRow):
                order = await self._mark_sent(order)
            else:
                order = await order(True)

        for candidate in decision.candidates:
            name = candidate.offer.provider
            if not self.health.acquire(name):
                attempts.append({"provider": name, "error": "Cooldown", "message": "in cooldown"})
                continue
            request = decision.request.model_copy(update={"service": candidate.offer.service.id})
            try:
                if isinstance(order, OrderRow) or candidate is not decision.chosen:
                    order = await self._route(await written(), candidate, attempts)
                placed = await self.providers[name].add(request, before_send=leaving)
            except _Overtaken as overtaken:
                self.health.release(name)
                return await self._failed(overtaken.latest, attempts)
            except BaseException as exc:
                if not isinstance(exc, ProviderError):
                    self.health.release(name)  # a cancelled probe must not block the provider
                    raise
                attempt = {"provider": name, "error": type(exc).__name__, "message": exc.message}
                attempts.append(attempt)
                if isinstance(exc, _PROVIDER_FAULTS):
                    if self.health.failure(name, exc.message):
                        await self._unhealthy(name, exc.message)
                else:
                    self.health.success(name)
                if isinstance(exc, Ambiguous) or not exc.not_placed:
                    row = await written()
                    log.warning("order %s: outcome at %s unknown: %s", row.id, name, exc)
                    return await self._over(
                        row, _UNSETTLED, event_kind="unconfirmed", event_data=attempt,
                        state=GatewayState.UNCONFIRMED, error=exc.message, attempts=attempts,
                    )  # fmt: skip
                if isinstance(exc, _CLIENT_ERRORS):
                    break
                continue
            self.health.success(name)
            return await self._placed(await written(), name, placed, attempts)
        return await self._failed(await written(), attempts)

    async def _route(
        self, order: OrderRow, candidate: Candidate, attempts: list[dict[str, Any]]
    ) -> OrderRow:
        """The order routed to `candidate`, not marked sent: a row created for it is already."""
        offer = candidate.offer
        routing = (order.provider, order.provider_service_id, order.sent_at)
        if routing == (offer.provider, offer.service.id, None):
            return order
        routed = await self._over(
            order, _RECEIVED, event_kind="routed",
            event_data={"provider": offer.provider, "service": offer.service.id},
            provider=offer.provider, provider_service_id=offer.service.id,
            provider_cost=candidate.provider_cost.amount,
            provider_currency=candidate.provider_cost.currency,
            quoted_cost=candidate.cost.amount,
            # The previous attempt proved nothing was placed: until this one leaves, a crash
            # leaves an order that provably never left, with the refusals that say so.
            sent_at=None, attempts=attempts,
        )  # fmt: skip
        if routed.state != GatewayState.RECEIVED:
            raise _Overtaken(routed)
        return routed

    async def _mark_sent(self, order: OrderRow) -> OrderRow:
        while True:
            try:
                return await self.store.mark_sent(order.id, order.version)
            except StaleOrder:
                order = await self.store.get_order(order.id)
                if order.state != GatewayState.RECEIVED:
                    raise _Overtaken(order) from None

    async def _placed(
        self, order: OrderRow, name: str, placed: PlacedOrder, attempts: list[dict[str, Any]]
    ) -> OrderRow:
        """Record the provider's order id; the answer wins over any guess made meanwhile."""
        while True:
            try:
                if _failed_for_good(order):
                    return await self._placed_late(order, name, placed)
                if order.state not in _PLACEABLE:
                    return await self._kept(order, name, placed, attempts)
                if order.state != GatewayState.RECEIVED:
                    log.warning(
                        "order %s placed at %s after being marked %s", order.id, name, order.state
                    )
                return await self._record_placed(order, name, placed, attempts)
            except StaleOrder:
                order = await self.store.get_order(order.id)

    async def _record_placed(
        self, order: OrderRow, name: str, placed: PlacedOrder, attempts: list[dict[str, Any]]
    ) -> OrderRow:
        changes: dict[str, Any] = {
            "state": OrderState.PENDING,
            "provider_order_id": placed.order,
            "attempts": attempts,
            "next_poll_at": datetime.now(UTC) + self._poll_after,
        }
        flag = events.FLAG_PROVIDER_ORDER_ID_REUSED
        # A panel that was reset (or that merged an identical order into an earlier one)
        # hands out an id the ledger already has: recorded all the same, and flagged.
        changes["flags"] = flagged_if_taken(order, name, placed.order, flag)

        def reused(after: OrderRow) -> bool:
            return flag in (after.flags or []) and flag not in (order.flags or [])

        def announce(after: OrderRow) -> events.Event | None:
            return events.order_event(order, after, **({"flag": flag} if reused(after) else {}))

        after = await self.store.update_order(
            order.id, event_kind="placed", expected_version=order.version,
            expected_state=order.state, announce=announce,
            event_data={"provider": name, "provider_order_id": placed.order}, **changes,
        )  # fmt: skip
        if reused(after):
            log.warning(
                "order %s: %s gave it order id %s, which an earlier order already has; both "
                "kept, flagged %s", order.id, name, placed.order, flag,
            )  # fmt: skip
        return after

    async def _placed_late(self, latest: OrderRow, name: str, placed: PlacedOrder) -> OrderRow:
        """Placed, but the order failed for good meanwhile: it stays ``FAILED`` (reopened, a
        refunded client would never be charged for it, a part would escape its parent's
        count), and the provider's answer is kept beside it, flagged for the operator."""
        log.warning(
            "order %s: %s placed it as %s after it was settled as %s; kept %s, flagged %s",
            latest.id, name, placed.order, latest.state, latest.state, PLACED_AFTER_SETTLEMENT,
        )  # fmt: skip
        message = f"placed as {placed.order} after the order was settled as {latest.state}"
        answer = {"provider": name, "error": "PlacedLate", "message": message}
        flags = latest.flags or []
        return await self._change(
            latest, event_kind="placed_late",
            event_data={"provider": name, "provider_order_id": placed.order},
            attempts=[*latest.attempts, answer],
            flags=flags if PLACED_AFTER_SETTLEMENT in flags else [*flags, PLACED_AFTER_SETTLEMENT],
        )  # fmt: skip

    async def _kept(
        self, latest: OrderRow, name: str, placed: PlacedOrder, attempts: list[dict[str, Any]]
    ) -> OrderRow:
        """Placed, but the ledger already holds a placement (an operator resolved the order
        meanwhile): that stands, and the provider's answer is kept beside it."""
        if latest.provider == name and latest.provider_order_id == placed.order:
            return latest
        log.warning(
            "order %s: %s placed it as %s, but it is %s at %s as %s already",
            latest.id, name, placed.order, latest.state, latest.provider, latest.provider_order_id,
        )  # fmt: skip
        answer = {"provider": name, "error": "PlacedAgain", "message": f"placed as {placed.order}"}
        return await self._over(
            latest, frozenset({latest.state}), event_kind="placed_again", event_data=answer,
            attempts=[*latest.attempts, *attempts, answer],
        )  # fmt: skip

    async def _failed(self, order: OrderRow, attempts: list[dict[str, Any]]) -> OrderRow:
        """Every attempt proved the order was not placed (or none could be made)."""
        last = attempts[-1] if attempts else {"message": "no provider could be tried"}
        return await self._over(
            order, _UNSETTLED, event_kind="failed", event_data={"attempts": len(attempts)},
            state=GatewayState.FAILED, error=str(last["message"]), attempts=attempts,
        )  # fmt: skip

    async def _over(
        self, order: OrderRow, states: frozenset[str], *, event_kind: str, **changes: Any
    ) -> OrderRow:
        """`changes` made to the order, and again over any newer row still in `states`; a
        row that moved on beyond them is returned as it is."""
        while True:
            if order.state not in states:
                log.info(
                    "order %s is %s already; %s not recorded", order.id, order.state, event_kind
                )
                return order
            try:
                return await self._change(order, event_kind=event_kind, **changes)
            except StaleOrder:
                order = await self.store.get_order(order.id)
