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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.fleet import instance_id
from gateway.orders.base import OrdersBase
from gateway.orders.errors import IdempotencyConflict, IdempotencyPending
from gateway.orders.validation import fingerprint
from gateway.routing import Need
from gateway.store import IdempotencyClaim, OrderRow

log = logging.getLogger(__name__)

PENDING = "an order with this idempotency key is still being placed; retry in a moment"
CONFLICT = "this idempotency key was used with a different request"
_FIRST_POLL = 0.01
_LAST_POLL = 0.5


class ClaimLost(Exception):
    """Raised inside an order's transaction to roll it back: the key's claim is not ours."""


class Idempotency(OrdersBase):
    """Claims on idempotency keys, waiting for the first request's order."""

    idempotency_patience: float = 10.0
    """Seconds from a claim's creation during which a retry waits for its order."""
    instance: str | None = None
    """The fleet id our claims record (default: this process's, `gateway.fleet`). A claim
    whose process stopped heartbeating is taken over at once, without waiting."""

    @property
    def _me(self) -> str:
        return self.instance or instance_id()

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

    async def _answer(self, claim: IdempotencyClaim) -> OrderRow:
        """The order of a claim that has one."""
        assert claim.order_id is not None
        return await self.store.get_order(claim.order_id)

    async def _after_lost_claim(self, client_id: str, key: str) -> OrderRow:
        """The answer of a request whose claim was taken over before it could attach its
        order: the new owner's order if there is one yet, never a second one."""
        claim = await self.store.idempotency_claim(client_id, key)
        if claim is not None and claim.order_id is not None:
            return await self._answer(claim)
        raise IdempotencyPending(PENDING)

    async def _attach(self, claim: IdempotencyClaim, order_id: int, tx: AsyncConnection) -> bool:
        """Attach our order to our claim, in the order's transaction; ``False`` when the claim
        is no longer ours (then raise `ClaimLost` to roll the order back)."""
        assert claim.token is not None
        return await self.store.attach_idempotency_order(
            claim.client_id, claim.key, claim.token, order_id, tx=tx
        )

    async def _release(self, claim: IdempotencyClaim) -> None:
        """Free our claim if it produced no order, so a retry may claim the key afresh."""
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
            raise IdempotencyConflict(CONFLICT)
        return await self._answer(claim) if claim.order_id is not None else None
