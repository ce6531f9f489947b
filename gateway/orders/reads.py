"""Reading orders: one by id, or a batch refreshed from their providers."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gateway.orders.base import OrdersBase
from gateway.orders.errors import OrderUnknown
from gateway.orders.outcomes import Outcome
from gateway.orders.polled import status_values
from gateway.store import OrderNotFound, OrderRow, StaleOrder
from gateway.store.states import is_final
from providers.errors import ProviderError

log = logging.getLogger(__name__)


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
        return row

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
            changes = status_values(row, answer)
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
