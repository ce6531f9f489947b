"""Refill sync: open refills polled from their providers, each state change announced once.

The ledger has no lease column for refills, so two runs must not overlap: in-process there is
one loop, and on the queue the job's key allows one run at a time across the fleet. Even a
repeat would announce nothing twice: a refill event's id is its refill id and state.
"""

from __future__ import annotations

from gateway.orders import Orders


class RefillSync:
    """Refreshes every open refill through `Orders.refill_status` (batched per provider)."""

    def __init__(self, orders: Orders, *, limit: int = 1000) -> None:
        self.orders = orders
        self.limit = limit

    async def run(self, _partition: str | None = None) -> int:
        """Poll up to `limit` open refills, oldest first; returns how many were polled."""
        refills = await self.orders.store.open_refills(self.limit)
        if refills:
            await self.orders.refill_status([r.id for r in refills], None)
        return len(refills)
