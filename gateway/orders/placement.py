"""Placement: idempotent, recorded in the ledger before any provider is called, with safe
failover.

It fails over to the next-cheapest member only when the failure proves the order was not
placed upstream (no funds, service unknown or disabled, throttled, never sent); a client error
(bad link, bad quantity) goes back to the client; an ambiguous outcome is recorded as
``UNCONFIRMED`` and never retried elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway import events
from gateway.catalog import Snapshot
from gateway.orders.errors import NoEligibleProvider, ServiceNotFound
from gateway.orders.idempotency import ClaimLost, Idempotency
from gateway.orders.validation import build_request, fingerprint, no_candidate_message
from gateway.routing import Need, Quote, quote
from gateway.store import GatewayState, IdempotencyClaim, OrderRow, StaleOrder
from providers.errors import (
    Ambiguous,
    AuthenticationError,
    InvalidLink,
    InvalidQuantity,
    MissingField,
    ProviderError,
    RateLimited,
    Unavailable,
)
from providers.models import OrderState

log = logging.getLogger(__name__)

# Failures that say something about the provider, not the order: they count against its health.
_PROVIDER_FAULTS = (Unavailable, RateLimited, AuthenticationError, Ambiguous)
# Failures caused by the order itself: every other provider would refuse it too.
_CLIENT_ERRORS = (InvalidLink, InvalidQuantity, MissingField)


class Placement(Idempotency):
    """Quoting and placing orders."""

    async def quote(
        self,
        snapshot: Snapshot,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
    ) -> Quote:
        group = snapshot.groups.get(service_id)
        if group is None:
            raise ServiceNotFound(f"unknown service {service_id}")
        request = build_request(group, fields)
        return quote(group, request, await self._provider_states(), needs=needs)

    async def place(
        self,
        snapshot: Snapshot,
        client_id: str,
        service_id: int,
        fields: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        needs: frozenset[Need] = frozenset(),
        as_sent: Mapping[str, Any] | None = None,
    ) -> OrderRow:
        """Place an order with the cheapest eligible provider; see the module docstring.

        Returns the ledger row: ``PENDING`` (or later) when a provider took it, ``UNCONFIRMED``
        when the outcome is unknown, ``FAILED`` when every attempt provably failed (its
        `attempts` say why). Raises `OrderError` for requests that never became an order.
        With an `idempotency_key`, a retry gets the key's order (`gateway.orders.idempotency`);
        the key is fingerprinted from `as_sent`, the fields as the client sent them, when the
        face filtered `fields` for the service type.
        """
        if idempotency_key is None:
            return await self._place(snapshot, client_id, service_id, fields, needs, None)
        # The key is looked up before anything else: a retry returns its order even if the
        # catalog changed since and the request would no longer validate.
        print_ = fingerprint(service_id, fields if as_sent is None else as_sent, needs)
        claim = await self._claim(client_id, idempotency_key, print_)
        if not claim.owner:
            return await self._answer(claim)
        try:
            return await self._place(snapshot, client_id, service_id, fields, needs, claim)
        except ClaimLost:
            return await self._after_lost_claim(client_id, idempotency_key)
        except BaseException:
            # Only a claim of ours without an order is released: once created, the order
            # stays the key's answer whatever happens after.
            await asyncio.shield(self._release(claim))
            raise

    async def _place(
        self,
        snapshot: Snapshot,
        client_id: str,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need],
        claim: IdempotencyClaim | None,
    ) -> OrderRow:
        decision = await self.quote(snapshot, service_id, fields, needs)
        if decision.chosen is None:
            raise NoEligibleProvider(no_candidate_message(decision), decision)
        chosen = decision.chosen
        async with self.store.transaction() as tx:
            order = await self.store.create_order(
                client_id=client_id,
                request=decision.request,
                group_id=decision.group.id,
                quoted_cost=chosen.cost.amount,
                currency=chosen.cost.currency,
                # Routed to the cheapest member at once: one transaction less on the usual path.
                provider=chosen.offer.provider,
                provider_service_id=chosen.offer.service.id,
                provider_cost=chosen.provider_cost.amount,
                provider_currency=chosen.provider_cost.currency,
                event_data={"candidates": [c.offer.provider for c in decision.candidates]},
                tx=tx,
            )
            await events.record(self.store, tx, [events.order_event(None, order)])
            if claim is not None and not await self._attach(claim, order.id, tx):
                # Taken over while we were slow: roll the order back and call no provider.
                raise ClaimLost(claim.key)
        return await self._send(order, decision)

    async def settle_interrupted(self, older_than: timedelta) -> list[OrderRow]:
        """Orders left ``RECEIVED`` by a process that stopped while sending them: the request
        may have reached the provider, so they become ``UNCONFIRMED``, never re-sent."""
        cutoff = datetime.now(UTC) - older_than
        stuck = await self.store.list_orders(None, {GatewayState.RECEIVED.value}, None, 1000)
        settled = []
        for row in stuck:
            if row.updated_at > cutoff:
                continue
            try:
                settled.append(
                    await self._change(
                        row, event_kind="unconfirmed", state=GatewayState.UNCONFIRMED,
                        error="the gateway stopped while sending this order; outcome unknown",
                    )
                )  # fmt: skip
            except StaleOrder:
                continue  # its sender is alive after all
        return settled

    async def _send(self, order: OrderRow, decision: Quote) -> OrderRow:
        attempts: list[dict[str, Any]] = []
        for candidate in decision.candidates:
            offer = candidate.offer
            name = offer.provider
            if not self.health.acquire(name):
                attempts.append({"provider": name, "error": "Cooldown", "message": "in cooldown"})
                continue
            if order.provider != name or order.provider_service_id != offer.service.id:
                order = await self._change(
                    order,
                    event_kind="routed",
                    event_data={"provider": name, "service": offer.service.id},
                    provider=name,
                    provider_service_id=offer.service.id,
                    provider_cost=candidate.provider_cost.amount,
                    provider_currency=candidate.provider_cost.currency,
                    quoted_cost=candidate.cost.amount,
                )
            request = decision.request.model_copy(update={"service": offer.service.id})
            try:
                placed = await self.providers[name].add(request)
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
                if isinstance(exc, Ambiguous):
                    log.warning("order %s: outcome at %s unknown: %s", order.id, name, exc)
                    return await self._change(
                        order, event_kind="unconfirmed", event_data=attempt,
                        state=GatewayState.UNCONFIRMED, error=exc.message, attempts=attempts,
                    )  # fmt: skip
                if isinstance(exc, _CLIENT_ERRORS) or not exc.not_placed:
                    break
                continue
            self.health.success(name)
            placement: dict[str, Any] = {
                "event_data": {"provider": name, "provider_order_id": placed.order},
                "state": OrderState.PENDING,
                "provider_order_id": placed.order,
                "attempts": attempts,
                "next_poll_at": datetime.now(UTC) + self._poll_after,
            }
            try:
                return await self._change(order, event_kind="placed", **placement)
            except StaleOrder:
                # Marked UNCONFIRMED meanwhile (the send looked interrupted): the provider's
                # answer settles it, so record the placement over that.
                log.warning("order %s placed at %s after being marked unconfirmed", order.id, name)
                latest = await self.store.get_order(order.id)
                return await self._change(latest, event_kind="placed", **placement)
        last = attempts[-1] if attempts else {"message": "no provider could be tried"}
        return await self._change(
            order,
            event_kind="failed",
            event_data={"attempts": len(attempts)},
            state=GatewayState.FAILED,
            error=str(last["message"]),
            attempts=attempts,
        )
