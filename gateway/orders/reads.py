"""Reading orders, always from the ledger.

The workers keep the ledger current; a client's read never calls a panel, so however hard
clients poll, they take nothing from `add`'s share of a provider. An open order read while
stale is moved to the front of the status sync (`freshness`); the read itself answers at once.
A client order made of child orders (split, drip-fed) reads as their aggregate
(`gateway.orders.split.viewed`), whatever face asks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from gateway.orders.base import OrdersBase
from gateway.orders.errors import OrderUnknown
from gateway.orders.outcomes import Outcome
from gateway.orders.split import viewed
from gateway.store import OrderNotFound, OrderRow
from gateway.store.split_refunds import counted


class Reads(OrdersBase):
    """Orders as a client reads them.

    A child order (a split part, a drip run) carries its parent's client but none of the
    client's columns: read directly, it would show the wholesale cost. A client therefore
    reads and addresses only the parent; a child is unknown to it. Operators (`parts`, or
    no `client_id`) reach children too.
    """

    async def get(self, order_id: int, client_id: str | None, *, parts: bool = False) -> OrderRow:
        """One order; `client_id` None means any client's (admin)."""
        try:
            row = await self.store.get_order(order_id)
        except OrderNotFound:
            raise OrderUnknown(f"unknown order {order_id}") from None
        if client_id is not None and (row.client_id != client_id or _hidden(row, parts)):
            raise OrderUnknown(f"unknown order {order_id}")
        shown, children = await viewed(self, {row.id: row})
        self.freshness.ask([row, *children])
        return shown[row.id]

    async def status(
        self, ids: Iterable[int], client_id: str | None, *, parts: bool = False
    ) -> list[Outcome]:
        """Each order as the ledger has it; stale open ones are queued for a priority poll."""
        wanted = list(dict.fromkeys(ids))
        owned = await self._client_orders(wanted, client_id, parts)
        rows, children = await viewed(self, owned)
        self.freshness.ask([*rows.values(), *children])
        return [
            Outcome(i, rows[i]) if i in rows else Outcome(i, None, "Incorrect order ID")
            for i in wanted
        ]

    async def addressed(
        self,
        act: Callable[[list[int], str | None], Awaitable[list[Outcome]]],
        ids: Iterable[int],
        client_id: str | None,
        *,
        parts: bool = False,
    ) -> list[Outcome]:
        """`act` (``refill`` or ``cancel``) for the `ids` the caller may address, one outcome
        per id: a child order a client names answers as an unknown order, never acted on."""
        wanted = list(dict.fromkeys(ids))
        allowed = wanted
        if client_id is not None and not parts:
            rows = await self._owned(wanted, client_id)
            allowed = [i for i in wanted if i not in rows or not _hidden(rows[i], parts)]
        answers = {o.order_id: o for o in await act(allowed, client_id)} if allowed else {}
        return [answers.get(i) or Outcome(i, None, "Incorrect order ID") for i in wanted]

    async def children(self, order_id: int, client_id: str | None) -> list[OrderRow]:
        """The child orders of a client order made of them (split parts, drip runs), oldest
        first; none for a plain order. A drip run replaced after it failed unplaced is not one
        of them (`gateway.orders.drip_replace`). `OrderUnknown` as for `get`."""
        parent = await self.get(order_id, client_id)
        if parent.plan is None:
            return []
        return counted(parent.plan, (await self.store.children_of([order_id])).get(order_id, []))

    async def _client_orders(
        self, ids: list[int], client_id: str | None, parts: bool
    ) -> dict[int, OrderRow]:
        """The orders among `ids` the caller may read: `_owned` (which fan-out needs with its
        children) without the children a client may not read directly."""
        rows = await self._owned(ids, client_id)
        if client_id is None:
            return rows
        return {i: r for i, r in rows.items() if not _hidden(r, parts)}


def _hidden(row: OrderRow, parts: bool) -> bool:
    """Whether `row` is a child order hidden from a client caller (not an operator's)."""
    return row.parent_id is not None and not parts
