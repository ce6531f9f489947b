"""Every movement of a client account's money through the ledger (`account_ledger`): top-ups,
adjustments, holds at placement, settlement of final orders, with their events written to the
outbox in the same transaction. The accounts themselves are `accounts`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway import events
from gateway.store.account_ledger import (
    ADJUSTMENTS,
    AVAILABLE,
    FUNDING,
    HELD,
    Posting,
    crossed_low_balance,
    lock_account,
    post,
    settle,
    spent,
)
from gateway.store.errors import OrderNotFound
from gateway.store.outbox import OutboxQueries
from gateway.store.rows import MovementKind, MovementRow, OrderRow
from gateway.store.tables import account_movements, orders


def _day_start(now: datetime) -> datetime:
    """The start of `now`'s UTC day."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(now: datetime) -> datetime:
    """The start of `now`'s UTC month."""
    return _day_start(now).replace(day=1)


class MovementQueries(OutboxQueries):
    """The money of client accounts: each change is a movement posted to the ledger."""

    async def top_up(
        self,
        account_id: int,
        amount: Decimal,
        *,
        reason: str | None,
        tx: AsyncConnection | None = None,
    ) -> MovementRow:
        """Add prepaid funds (`amount` > 0), with an ``account.topped_up`` event."""
        if amount <= 0:
            raise ValueError("a top-up must be a positive amount")
        async with self._write(tx) as conn:
            account = await lock_account(conn, account_id)
            posting = await post(
                conn, account, MovementKind.TOPUP, [(AVAILABLE, amount), (FUNDING, -amount)],
                now=self._clock(), reason=reason,
            )  # fmt: skip
            await self._announce(conn, events.account_topped_up(posting.after, posting.movement))
        return posting.movement

    async def adjust(
        self, account_id: int, amount: Decimal, *, reason: str, tx: AsyncConnection | None = None
    ) -> MovementRow:
        """Correct the balance by `amount` (either sign) for a stated `reason`; the credit limit
        does not bound it (a chargeback takes the money back whatever the balance)."""
        if amount == 0:
            raise ValueError("an adjustment must not be zero")
        if not reason or not reason.strip():
            raise ValueError("an adjustment needs a reason")
        async with self._write(tx) as conn:
            account = await lock_account(conn, account_id)
            posting = await post(
                conn, account, MovementKind.ADJUSTMENT,
                [(AVAILABLE, amount), (ADJUSTMENTS, -amount)], now=self._clock(), reason=reason,
            )  # fmt: skip
            await self._warn_low(conn, posting)
        return posting.movement

    async def hold(
        self, account_id: int, order_id: int, amount: Decimal, *, tx: AsyncConnection
    ) -> MovementRow:
        """Hold `amount` for an order being placed, in the transaction that records it.

        Refuses with ``AccountSuspended``, ``SpendCapReached`` (the UTC day's or month's holds
        minus refunds would pass the cap) or ``InsufficientFunds`` (more than balance + credit
        limit); the caller's transaction then rolls back, order row included.
        """
        from gateway.accounts.errors import (
            AccountSuspended,
            InsufficientFunds,
            Period,
            SpendCapReached,
        )

        if amount < 0:
            raise ValueError("a hold cannot be negative")
        now = self._clock()
        account = await lock_account(tx, account_id)
        if not account.active:
            raise AccountSuspended()
        caps: tuple[tuple[Period, Decimal | None, datetime], ...] = (
            ("day", account.spend_cap_day, _day_start(now)),
            ("month", account.spend_cap_month, _month_start(now)),
        )
        for period, cap, since in caps:
            if cap is not None and await spent(tx, account_id, since) + amount > cap:
                raise SpendCapReached(period)
        if amount > account.available:
            raise InsufficientFunds()
        posting = await post(
            tx, account, MovementKind.HOLD, [(AVAILABLE, -amount), (HELD, amount)],
            now=now, order_id=order_id,
        )  # fmt: skip
        await self._warn_low(tx, posting)
        return posting.movement

    async def settle_order(self, order: OrderRow, *, tx: AsyncConnection) -> list[MovementRow]:
        """Settle a final account order (``update_order`` does it on its own): charge what was
        delivered, refund the rest of the hold, set ``client_charge``. Idempotent."""
        # The row as it stands (locked), not as the caller last saw it: settled once only.
        query = select(orders).where(orders.c.id == order.id).with_for_update()
        found = (await tx.execute(query)).mappings().one_or_none()
        if found is None:
            raise OrderNotFound(order.id)
        _, movements = await settle(tx, OrderRow.from_row(found), self._clock())
        return movements

    async def spend(
        self, account_id: int, since: datetime, *, tx: AsyncConnection | None = None
    ) -> Decimal:
        """Holds minus refunds of the account's movements created from `since`."""
        async with self._read(tx) as conn:
            return await spent(conn, account_id, since)

    async def movements(
        self,
        account_id: int,
        *,
        before: int | None = None,
        limit: int = 50,
        tx: AsyncConnection | None = None,
    ) -> list[MovementRow]:
        """The account's movements newest first; `before` (a movement id) pages to older ones."""
        query = (
            select(account_movements)
            .where(account_movements.c.account_id == account_id)
            .order_by(account_movements.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(account_movements.c.id < before)
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [MovementRow.from_row(found) for found in result.mappings()]

    async def _warn_low(self, conn: AsyncConnection, posting: Posting) -> None:
        if crossed_low_balance(posting):
            await self._announce(conn, events.account_balance_low(posting.after, posting.movement))

    async def _announce(self, conn: AsyncConnection, event: events.Event) -> None:
        await self.add_outbox(conn, event.id, event.type, event.payload())
