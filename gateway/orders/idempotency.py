"""Idempotency keys on the order side: a request either owns its key's claim or waits for the
order of the request that does, and never places a second order for one key.

The owner attaches its order with its claim's token, in the order row's transaction, before
any provider call. Everything else is measured from the claim's creation, whoever is waiting:

- younger than `idempotency_patience`: a retry waits for the first request's order;
- then, while younger than `idempotency_wait`: the first request is still running, slowly; a
  retry answers at once that the order is being processed (`IdempotencyPending`);
- older than `idempotency_wait` and still without an order: its request died or is stuck before
  its order. A retry takes the claim over by replacing its token (compare-and-set), so the
  first request, if it was only slow, fails its attach, rolls back and never reaches a
  provider, and answers with the key's order, or pending until there is one.

A key stands for its order for good, with one exception: an order that FAILED without being
placed anywhere (`reusable`) does not burn its key for a corrected request. A request with
other fields then places a new order, which the key stands for from then on (compare-and-set
on the failed order, in the new order's transaction: of concurrent corrections one wins, the
others roll back before any provider call). The same fields still get the failed order back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.fleet import beating_instance
from gateway.orders.base import OrdersBase
from gateway.orders.errors import IdempotencyConflict, IdempotencyPending
from gateway.orders.split_status import as_viewed
from gateway.orders.validation import fingerprint
from gateway.routing import Need
from gateway.store import GatewayState, IdempotencyClaim, OrderRow

log = logging.getLogger(__name__)

PENDING = "an order with this idempotency key is still being placed; retry in a moment"
CONFLICT = "this idempotency key was used with a different request"
_FIRST_POLL = 0.01
_LAST_POLL = 0.5
# An order whose history holds nothing else never reached a panel that might have placed it:
# created, routed from member to member, failed (every answer proved it was not placed, or it
# was never sent). An UNCONFIRMED, resolved or placed order shows other entries.
_NEVER_PLACED = frozenset({"created", "routed", "failed"})


class ClaimLost(Exception):
    """Raised inside an order's transaction to roll it back: the key's claim is not ours."""


class Idempotency(OrdersBase):
    """Claims on idempotency keys, waiting for the first request's order."""

    idempotency_patience: float = 10.0
    """Seconds from a claim's creation during which a retry waits for its order."""
    instance: str | None = None
    """The fleet id our claims record (default: this process's while it heartbeats,
    `gateway.fleet`). A claim whose process stopped heartbeating is taken over at once."""

    @property
    def _me(self) -> str | None:
        return self.instance or beating_instance()

    async def _claim(self, client_id: str, key: str, print_: str) -> IdempotencyClaim:
        """A claim on `key` that we own, or the claim whose order answers this request.

        Raises `IdempotencyConflict` when the key was used with another request, and
        `IdempotencyPending` while its first request is still running.
        """
        claim = await self.store.claim_idempotency_key(client_id, key, print_, instance=self._me)
        abandoned = timedelta(seconds=self.idempotency_wait)
        patience = timedelta(seconds=self.idempotency_patience)
        delay = _FIRST_POLL
        while True:
            if claim.owner:
                return claim
            if not claim.matches(print_):
                if claim.order_id is not None and await self.reusable(claim.order_id):
                    # Ours to reuse: `_attach` moves the key from the failed order to ours.
                    return dataclasses.replace(claim, owner=True, fingerprint=print_)
                raise IdempotencyConflict(CONFLICT)
            if claim.order_id is not None:
                return claim
            if claim.age >= abandoned or claim.orphaned:
                # Ours from now on, unless someone changed the claim since we read it.
                taken = await self.store.take_over_idempotency_key(
                    client_id, key, claim.token, instance=self._me
                )
                if taken is not None:
                    log.warning("idempotency key of %s taken over after %s", client_id, claim.age)
                    return taken
            elif claim.age >= patience:
                raise IdempotencyPending(PENDING)
            else:
                await asyncio.sleep(min(delay, (patience - claim.age).total_seconds()))
                delay = min(delay * 2, _LAST_POLL)
            seen = await self.store.idempotency_claim(client_id, key)
            # Freed: the holder produced no order. Claim it afresh, like a new request.
            claim = seen or await self.store.claim_idempotency_key(
                client_id, key, print_, instance=self._me
            )

    async def reusable(self, order_id: int) -> bool:
        """Whether a key standing for this order may take a corrected request: the order
        FAILED and was provably never placed (see `_NEVER_PLACED`)."""
        order = await self.store.get_order(order_id)
        if order.state != GatewayState.FAILED or order.provider_order_id is not None:
            return False
        history = await self.store.order_events(order_id)
        return {event.kind for event in history} <= _NEVER_PLACED

    async def _answer(self, claim: IdempotencyClaim) -> OrderRow:
        """The order of a claim that has one, as a read shows it (a client order made of
        children as their aggregate)."""
        assert claim.order_id is not None
        order = await self.store.get_order(claim.order_id)
        if order.plan is None:
            return order
        children = (await self.store.children_of([order.id])).get(order.id, [])
        return as_viewed(order, children, self.base_currency)

    async def _after_lost_claim(self, client_id: str, key: str, print_: str) -> OrderRow:
        """The answer of a request whose claim was taken over (or whose reuse of a failed
        order's key lost to another) before it could attach its order: the new owner's order
        if there is one yet, never a second one."""
        claim = await self.store.idempotency_claim(client_id, key)
        if claim is not None and not claim.matches(print_):
            raise IdempotencyConflict(CONFLICT)
        if claim is not None and claim.order_id is not None:
            return await self._answer(claim)
        raise IdempotencyPending(PENDING)

    async def _attach(self, claim: IdempotencyClaim, order_id: int, tx: AsyncConnection) -> bool:
        """Attach our order to our claim, in the order's transaction; ``False`` when the claim
        is no longer ours (then raise `ClaimLost` to roll the order back)."""
        if claim.order_id is not None:
            # A reuse: the key moves from the failed order to ours, unless another did first.
            return await self.store.reuse_idempotency_key(
                claim.client_id, claim.key, claim.order_id, claim.fingerprint, order_id, tx=tx
            )
        assert claim.token is not None
        return await self.store.attach_idempotency_order(
            claim.client_id, claim.key, claim.token, order_id, tx=tx
        )

    async def _release(self, claim: IdempotencyClaim) -> None:
        """Free our claim if it produced no order, so a retry may claim the key afresh."""
        if claim.order_id is not None:
            return  # a reuse that placed nothing: the key still stands for its failed order
        assert claim.token is not None
        await self.store.release_idempotency_key(claim.client_id, claim.key, claim.token)

    async def answered(
        self,
        client_id: str,
        key: str,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
    ) -> OrderRow | None:
        """The order `key` already stands for, without claiming or waiting: for faces that
        must answer a retry before checking the request against today's catalog. `fields` are
        as sent, as `place` fingerprints them.

        ``None`` when the key is free or its first request is still running (placing then
        claims or waits as usual). Raises `IdempotencyConflict` for another request's key.
        """
        claim = await self.store.idempotency_claim(client_id, key)
        if claim is None:
            return None
        if not claim.matches(fingerprint(service_id, fields, needs)):
            if claim.order_id is not None and await self.reusable(claim.order_id):
                return None  # a corrected request: placing it reuses the key
            raise IdempotencyConflict(CONFLICT)
        return await self._answer(claim) if claim.order_id is not None else None
