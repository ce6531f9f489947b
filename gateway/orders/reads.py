"""Reading orders, always from the ledger.

The workers keep the ledger current; a client's read never calls a panel, so however hard
clients poll, they take nothing from `add`'s share of a provider. An open order read while
stale is moved to the front of the status sync (`freshness`); the read itself answers at once.
A client order made of child orders (split, drip-fed) reads as their aggregate
(`gateway.orders.split.viewed`), whatever face asks.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.orders.base import OrdersBase
from gateway.orders.errors import OrderUnknown
from gateway.orders.outcomes import Outcome
from gateway.orders.split import viewed
from gateway.store import OrderNotFound, OrderRow


class Reads(OrdersBase):
    """Orders as a client reads them."""

    async def get(self, order_id: int, client_id: str | None) -> OrderRow:
        """One order; `client_id` None means any client's (admin)."""
        try:
            row = await self.store.get_order(order_id)
        except OrderNotFound:
            raise OrderUnknown(f"unknown order {order_id}") from None
        if client_id is not None and row.client_id != client_id:
            raise OrderUnknown(f"unknown order {order_id}")
        shown, children = await viewed(self, {row.id: row})
        self.freshness.ask([row, *children])
        return shown[row.id]

    async def status(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Each order as the ledger has it; stale open ones are queued for a priority poll."""
        wanted = list(dict.fromkeys(ids))
        rows, children = await viewed(self, await self._owned(wanted, client_id))
        self.freshness.ask([*rows.values(), *children])
        return [
            Outcome(i, rows[i]) if i in rows else Outcome(i, None, "Incorrect order ID")
            for i in wanted
        ]

    async def children(self, order_id: int, client_id: str | None) -> list[OrderRow]:
        """The child orders of a client order made of them (split parts, drip runs), oldest
        first; none for a plain order. `OrderUnknown` as for `get`."""
        parent = await self.get(order_id, client_id)
        if parent.plan is None:
            return []
        return (await self.store.children_of([order_id])).get(order_id, [])
