"""Orders: idempotent placement with safe failover, then status, refill and cancel by gateway id.

Placement records the order in the ledger before any provider is called. It fails over to the
next-cheapest member only when the failure proves the order was not placed upstream (no funds,
service unknown or disabled, throttled, never sent); a client error (bad link, bad quantity)
goes back to the client; an ambiguous outcome is recorded as ``UNCONFIRMED`` and never retried
elsewhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError

from gateway import events
from gateway.catalog import Group, Snapshot
from gateway.health import HealthBoard
from gateway.routing import Need, ProviderState, Quote, quote
from gateway.store import GatewayState, OrderNotFound, OrderRow, RefillRow, StaleOrder, Store
from gateway.store.refills import OPEN_REFILL_STATES
from gateway.store.states import is_final
from providers.base import Provider
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
from providers.models import CancelResult, OrderRequest, OrderState, Refill

log = logging.getLogger(__name__)

T = TypeVar("T")

# Failures that say something about the provider, not the order: they count against its health.
_PROVIDER_FAULTS = (Unavailable, RateLimited, AuthenticationError, Ambiguous)
# Failures caused by the order itself: every other provider would refuse it too.
_CLIENT_ERRORS = (InvalidLink, InvalidQuantity, MissingField)


class OrderError(Exception):
    """A request the gateway refuses; `message` is safe to show to the client."""

    code = "ORDER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServiceNotFound(OrderError):
    code = "SERVICE_NOT_FOUND"


class InvalidOrder(OrderError):
    code = "INVALID_ORDER"


class NoEligibleProvider(OrderError):
    """No member of the group can take the order; `quote` says why for each."""

    code = "NO_ELIGIBLE_PROVIDER"

    def __init__(self, message: str, quote: Quote) -> None:
        super().__init__(message)
        self.quote = quote


class IdempotencyConflict(OrderError):
    code = "IDEMPOTENCY_CONFLICT"


class OrderUnknown(OrderError):
    """No such order for this client (another client's orders are unknown to it too)."""

    code = "ORDER_NOT_FOUND"


class IdempotencyPending(OrderError):
    """Another request with the same key is still being placed."""

    code = "IDEMPOTENCY_PENDING"


def fingerprint(group_id: int, fields: Mapping[str, Any], needs: frozenset[Need]) -> str:
    """A hash of what makes two requests the same order, taken from the fields as sent."""
    sent = {k: str(v) for k, v in fields.items() if v is not None and k not in ("service", "type")}
    canonical = json.dumps(
        {"service": group_id, "fields": sent, "needs": sorted(needs)}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_request(group: Group, fields: Mapping[str, Any]) -> OrderRequest:
    """The order's fields validated for the group's service type."""
    data = {k: v for k, v in fields.items() if v is not None and k not in ("service", "type")}
    try:
        return OrderRequest(service=str(group.id), service_type=group.type, **data)
    except ValidationError as exc:
        problems = "; ".join(
            str(e["msg"]).removeprefix("Value error, ")
            + (f" ({'.'.join(map(str, e['loc']))})" if e["loc"] else "")
            for e in exc.errors()
        )
        raise InvalidOrder(problems) from None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A per-id answer of a batch operation: the order row, and the error if it failed."""

    order_id: int
    order: OrderRow | None
    error: str | None = None
    refill: RefillRow | None = None
    """The refill created, for `Orders.refill`."""


@dataclass(frozen=True, slots=True)
class RefillOutcome:
    """A per-id answer of `Orders.refill_status`."""

    refill_id: int
    refill: RefillRow | None
    error: str | None = None


class Orders:
    """The order side of the gateway core."""

    def __init__(
        self,
        store: Store,
        providers: Mapping[str, Provider],
        health: HealthBoard,
        *,
        provider_states: Callable[[], Awaitable[Mapping[str, ProviderState]]],
        base_currency: str,
        poll_after: timedelta = timedelta(seconds=30),
        idempotency_wait: float = 30.0,
    ) -> None:
        self.store = store
        self.providers = providers
        self.health = health
        self._provider_states = provider_states
        self.base_currency = base_currency
        self._poll_after = poll_after
        self.idempotency_wait = idempotency_wait

    # -- quoting and placing -----------------------------------------------------------------

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
    ) -> OrderRow:
        """Place an order with the cheapest eligible provider; see the module docstring.

        Returns the ledger row: ``PENDING`` (or later) when a provider took it, ``UNCONFIRMED``
        when the outcome is unknown, ``FAILED`` when every attempt provably failed (its
        `attempts` say why). Raises `OrderError` for requests that never became an order.
        """
        if idempotency_key is None:
            return await self._place(snapshot, client_id, service_id, fields, needs, None)
        # The key is looked up before anything else: a retry returns its order even if the
        # catalog changed since and the request would no longer validate.
        print_ = fingerprint(service_id, fields, needs)
        claim = await self.store.claim_idempotency_key(client_id, idempotency_key, print_)
        if not claim.owner:
            if not claim.matches(print_):
                raise IdempotencyConflict("this idempotency key was used with a different request")
            return await self._existing(client_id, idempotency_key, claim.order_id)
        try:
            return await self._place(
                snapshot, client_id, service_id, fields, needs, idempotency_key
            )
        except BaseException:
            # Only a claim without an order is released: once created, the order stays the
            # key's answer whatever happens after.
            await asyncio.shield(self.store.release_idempotency_key(client_id, idempotency_key))
            raise

    async def _place(
        self,
        snapshot: Snapshot,
        client_id: str,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need],
        idempotency_key: str | None,
    ) -> OrderRow:
        decision = await self.quote(snapshot, service_id, fields, needs)
        if decision.chosen is None:
            raise NoEligibleProvider(_no_candidate_message(decision), decision)
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
            if idempotency_key is not None:
                await self.store.attach_idempotency_order(
                    client_id, idempotency_key, order.id, tx=tx
                )
        return await self._send(order, decision)

    async def _existing(self, client_id: str, key: str, order_id: int | None) -> OrderRow:
        """The order of an idempotency key whose first request may still be in flight."""
        deadline = asyncio.get_running_loop().time() + self.idempotency_wait
        delay = 0.01
        while order_id is None:
            if asyncio.get_running_loop().time() > deadline:
                # The order is created moments after its key is claimed, before any provider
                # call: a claim still without an order is one whose process died. Free it.
                await self.store.release_idempotency_key(client_id, key)
                raise IdempotencyPending("a request with this idempotency key did not finish")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
            claim = await self.store.claim_idempotency_key(client_id, key, "")
            if claim.owner:
                # The first request released its claim (it produced no order): start over is
                # the client's call, so release ours too and report it.
                await self.store.release_idempotency_key(client_id, key)
                raise IdempotencyPending("the first request with this key did not place an order")
            order_id = claim.order_id
        return await self.store.get_order(order_id)

    async def _change(self, before: OrderRow, *, event_kind: str, **changes: Any) -> OrderRow:
        """Update an order and queue the event its visible change gives, in one transaction."""
        async with self.store.transaction() as tx:
            # Only from the row as read: a worker that changed it meanwhile wins (StaleOrder).
            after = await self.store.update_order(
                before.id, event_kind=event_kind, expected_version=before.version, tx=tx, **changes
            )
            await events.record(self.store, tx, [events.order_event(before, after)])
        return after

    async def _unhealthy(self, name: str, error: str) -> None:
        report = self.health.report(name)
        event = events.provider_unhealthy(name, error, report.cooldown_remaining, datetime.now(UTC))
        async with self.store.transaction() as tx:
            await events.record(self.store, tx, [event])

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

    # -- reading and refreshing ----------------------------------------------------------------

    async def get(self, order_id: int, client_id: str | None) -> OrderRow:
        """One order; `client_id` None means any client's (admin)."""
        try:
            row = await self.store.get_order(order_id)
        except OrderNotFound:
            raise OrderUnknown(f"unknown order {order_id}") from None
        if client_id is not None and row.client_id != client_id:
            raise OrderUnknown(f"unknown order {order_id}")
        return row

    async def _owned(self, ids: Iterable[int], client_id: str | None) -> dict[int, OrderRow]:
        wanted = list(dict.fromkeys(ids))
        rows = {r.id: r for r in await self.store.get_orders(wanted)}
        if client_id is not None:
            rows = {i: r for i, r in rows.items() if r.client_id == client_id}
        return rows

    async def _per_provider(
        self,
        rows: Iterable[OrderRow],
        call: Callable[[Provider, list[str]], Awaitable[Mapping[str, T | ProviderError]]],
    ) -> dict[int, T | ProviderError]:
        """Run `call` once per provider with its orders' provider ids; answers by gateway id."""
        by_provider: dict[str, dict[str, int]] = defaultdict(dict)
        for row in rows:
            if row.provider and row.provider_order_id:
                by_provider[row.provider][row.provider_order_id] = row.id

        async def one(name: str, ids: dict[str, int]) -> dict[int, T | ProviderError]:
            provider = self.providers.get(name)
            if provider is None:
                error = ProviderError("provider no longer configured", provider=name)
                return dict.fromkeys(ids.values(), error)
            answers = await call(provider, list(ids))
            return {ids[pid]: outcome for pid, outcome in answers.items() if pid in ids}

        merged: dict[int, T | ProviderError] = {}
        for part in await asyncio.gather(*(one(n, ids) for n, ids in by_provider.items())):
            merged.update(part)
        return merged

    async def status(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Refresh open orders from their providers and return each order's current row."""
        wanted = list(dict.fromkeys(ids))
        rows = await self._owned(wanted, client_id)
        open_rows = [r for r in rows.values() if not is_final(r.state)]
        answers = await self._per_provider(open_rows, lambda p, pids: p.status(pids))
        for order_id, answer in answers.items():
            row = rows[order_id]
            if isinstance(answer, ProviderError):
                log.info("status of order %s at %s: %s", order_id, row.provider, answer)
                continue
            changes: dict[str, Any] = {
                "state": answer.state.value,
                "status_raw": answer.raw_status,
                "start_count": answer.start_count,
                "remains": answer.remains,
                "charge": answer.charge.amount if answer.charge else row.charge,
            }
            if any(getattr(row, k) != v for k, v in changes.items()):
                try:
                    rows[order_id] = await self._change(
                        row, event_kind="status", event_data={"raw": answer.raw_status}, **changes
                    )
                except StaleOrder:
                    # A worker recorded a newer status meanwhile; show the ledger's.
                    rows[order_id] = await self.store.get_order(order_id)
        return [
            Outcome(i, rows[i]) if i in rows else Outcome(i, None, "Incorrect order ID")
            for i in wanted
        ]

    async def _ask_each(
        self,
        ids: Iterable[int],
        client_id: str | None,
        call: Callable[[Provider, list[str]], Awaitable[Mapping[str, T | ProviderError]]],
        refused: str,
        accepted: Callable[[OrderRow, T], Awaitable[Outcome]],
    ) -> list[Outcome]:
        """Send a write to each order's provider (batched) and answer per gateway id."""
        wanted = list(dict.fromkeys(ids))
        rows = await self._owned(wanted, client_id)
        answers = await self._per_provider(rows.values(), call)
        outcomes = []
        for order_id in wanted:
            row = rows.get(order_id)
            answer = answers.get(order_id)
            if row is None:
                outcomes.append(Outcome(order_id, None, "Incorrect order ID"))
            elif answer is None:
                outcomes.append(Outcome(order_id, row, refused))
            elif isinstance(answer, ProviderError):
                outcomes.append(Outcome(order_id, row, answer.message))
            else:
                outcomes.append(await accepted(row, answer))
        return outcomes

    async def refill(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Ask each order's provider for a refill; a granted one is recorded with a gateway id."""

        async def granted(row: OrderRow, answer: Refill) -> Outcome:
            async with self.store.transaction() as tx:
                refill = await self.store.create_refill(
                    row.id, row.provider or "", answer.refill, tx=tx
                )
                row = await self.store.update_order(
                    row.id, event_kind="refill", event_data={"refill": refill.id}, tx=tx
                )
                await events.record(self.store, tx, [events.refill_event(row, refill)])
            return Outcome(row.id, row, refill=refill)

        return await self._ask_each(
            ids, client_id, lambda p, pids: p.refill(pids), "Order not eligible for refill.",
            granted,
        )  # fmt: skip

    async def refill_status(
        self, refill_ids: Iterable[int], client_id: str | None
    ) -> list[RefillOutcome]:
        """Refresh refills from their providers; a refill of another client's order is unknown."""
        wanted = list(dict.fromkeys(refill_ids))
        found = {r.id: r for r in await self.store.get_refills(wanted)}
        owners = await self._owned({r.order_id for r in found.values()}, client_id)
        found = {i: r for i, r in found.items() if r.order_id in owners}
        by_provider: dict[str, dict[str, int]] = defaultdict(dict)
        for refill in found.values():
            if refill.provider_refill_id and refill.state in OPEN_REFILL_STATES:
                by_provider[refill.provider][refill.provider_refill_id] = refill.id

        async def one(name: str, ids: dict[str, int]) -> None:
            provider = self.providers.get(name)
            if provider is None:
                return
            answers = await provider.refill_status(list(ids))
            for provider_id, answer in answers.items():
                before = found[ids[provider_id]]
                if isinstance(answer, ProviderError) or answer.state.value == before.state:
                    continue
                async with self.store.transaction() as tx:
                    after = await self.store.update_refill(
                        before.id, state=answer.state.value, status_raw=answer.raw_status, tx=tx
                    )
                    order = owners[after.order_id]
                    await events.record(self.store, tx, [events.refill_event(order, after)])
                found[after.id] = after

        await asyncio.gather(*(one(n, ids) for n, ids in by_provider.items()))
        return [
            RefillOutcome(i, found[i]) if i in found else RefillOutcome(i, None, "Refill not found")
            for i in wanted
        ]

    async def cancel(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Ask each order's provider to cancel it ("requested", not yet refunded)."""

        async def requested(row: OrderRow, answer: CancelResult) -> Outcome:
            row = await self.store.update_order(row.id, event_kind="cancel_requested")
            return Outcome(row.id, row)

        return await self._ask_each(
            ids, client_id, lambda p, pids: p.cancel(pids), "Order cannot be canceled.", requested
        )


def _no_candidate_message(decision: Quote) -> str:
    reasons = sorted({e.reason.value for e in decision.excluded})
    group = decision.group
    quantity = decision.request.units
    if quantity < group.min or quantity > group.max:
        return f"Quantity must be between {group.min} and {group.max}"
    return "no provider can take this order: " + "; ".join(reasons)
