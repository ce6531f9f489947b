"""Refill sync: open refills polled from their providers, each state change announced once.

Refills are polled when due (``next_poll_at``), the longest due first, and each poll moves a
refill back in the line by the `Backoff` of its age: new refills are never kept waiting
behind old ones. A refill whose status the gateway does not recognise stays open and is polled
again; one the panel answers with an error ("Refill not found") ends ``FAILED`` with that text;
a failed call (panel down, throttled) is retried after `Backoff.retry`.

Each run claims the refills it polls (`Store.claim_due_refills`: their next poll moves past a
lease in the claiming statement), so the runs of several processes at once (gateways started
together, whose periodic jobs line up) poll each refill once. Even a repeat would announce
nothing twice: a refill event's id is its refill id and state.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from gateway.orders import Orders
from gateway.store.base import Clock, utcnow
from gateway.workers.backoff import Backoff
from providers.models import RefillState


class RefillSync:
    """Polls due refills through `Orders.poll_refills` (batched per provider).

    ::

        polled = await RefillSync(gw.orders).run()
    """

    def __init__(
        self,
        orders: Orders,
        *,
        limit: int = 1000,
        batch: int = 100,
        backoff: Backoff | None = None,
        lease: timedelta = timedelta(minutes=2),
        clock: Clock = utcnow,
    ) -> None:
        self.orders = orders
        self.limit = limit
        self.batch = batch
        self.backoff = backoff or Backoff()
        self.lease = lease
        """How long a claimed refill stays away from other processes: longer than a poll."""
        self._clock = clock

    async def run(self, _partition: str | None = None) -> int:
        """Poll due refills, `batch` at a time, until none is due or `limit` were polled;
        returns how many were polled."""
        store = self.orders.store
        polled = 0
        now = self._clock()
        while polled < self.limit:
            due = await store.claim_due_refills(
                now, min(self.batch, self.limit - polled), lease=self.lease
            )
            if not due:
                break
            try:
                polls = await self.orders.poll_refills(due)
            except BaseException:
                # Hand them back now rather than when the lease runs out.
                await asyncio.shield(store.reschedule_refills({r.id: now for r in due}))
                raise
            later: dict[int, datetime | None] = {r.id: now + self.backoff.retry for r in due}
            for poll in polls:
                refill = poll.refill
                if RefillState(refill.state).final:
                    later[refill.id] = None
                elif poll.answered:
                    later[refill.id] = self.backoff.next_poll(refill.created_at, now)
            await store.reschedule_refills(later)
            polled += len(due)
        return polled
