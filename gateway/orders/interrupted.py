"""Orders a stopped process left behind: settled, never re-sent.

An order still ``RECEIVED`` long after it arrived belongs to a process that stopped. Whether
its request left is in the ledger (``sent_at``, written before a byte goes): one that never
left provably placed nothing and fails; one that left may have been placed and is
``UNCONFIRMED``, for the status sync or an operator to settle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.orders.base import OrdersBase
from gateway.store import GatewayState, OrderRow, StaleOrder

NOT_SENT = "the gateway stopped before sending this order; nothing was placed or charged"
INTERRUPTED = "the gateway stopped while sending this order; outcome unknown"


class Interrupted(OrdersBase):
    """Settling the orders a stopped process left behind."""

    async def settle_interrupted(self, older_than: timedelta, batch: int = 100) -> list[OrderRow]:
        """Orders left ``RECEIVED`` for `older_than` by a process that stopped, oldest first,
        read `batch` at a time: ``FAILED`` if their request never left, else ``UNCONFIRMED``.
        Never re-sent."""
        cutoff = datetime.now(UTC) - older_than
        settled: list[OrderRow] = []
        after = 0
        while True:
            rows = await self.store.received_before(cutoff, after, batch)
            for row in rows:
                try:
                    settled.append(await self._settle_interrupted(row))
                except StaleOrder:
                    continue  # its sender is alive after all
            if len(rows) < batch:
                return settled
            after = rows[-1].id

    async def _settle_interrupted(self, row: OrderRow) -> OrderRow:
        if row.sent_at is None:
            attempt = {"provider": row.provider, "error": "NotSent", "message": NOT_SENT}
            state, kind = GatewayState.FAILED, "failed"
        else:
            attempt = {"provider": row.provider, "error": "Interrupted", "message": INTERRUPTED}
            state, kind = GatewayState.UNCONFIRMED, "unconfirmed"
        return await self._change(
            row, event_kind=kind, event_data=attempt, state=state,
            error=attempt["message"], attempts=[*row.attempts, attempt],
        )  # fmt: skip
