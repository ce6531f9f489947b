"""Client accounts: their rows, and every movement of their money through the ledger
(`account_ledger`), with its events written to the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
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
from gateway.store.rows import (
    AccountRow,
    AccountState,
    MarginPolicy,
    MovementKind,
    MovementRow,
    OrderRow,
    RoutingPolicy,
)
from gateway.store.tables import account_movements, accounts, api_keys, orders

CHANGEABLE = frozenset(
    {
        "state", "credit_limit", "spend_cap_day", "spend_cap_month", "low_balance",
        "price_list", "margin_policy", "routing_policy",
    }
)  # fmt: skip
"""What ``update_account`` may change; balances move only through the ledger."""


def _check(changes: Mapping[str, Any]) -> None:
    if "state" in changes:
        AccountState(changes["state"])  # ValueError for anything else
    if "margin_policy" in changes:
        MarginPolicy(changes["margin_policy"])
    if changes.get("routing_policy") is not None:
        RoutingPolicy(changes["routing_policy"])
    if changes.get("credit_limit") is not None and changes["credit_limit"] < 0:
        raise ValueError("a credit limit cannot be negative")
    for cap in ("spend_cap_day", "spend_cap_month"):
        if changes.get(cap) is not None and changes[cap] < 0:
            raise ValueError("a spend cap cannot be negative")


def _day_start(now: datetime) -> datetime:
    """The start of `now`'s UTC day."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(now: datetime) -> datetime:
    """The start of `now`'s UTC month."""
    return _day_start(now).replace(day=1)


class AccountQueries(OutboxQueries):
    """Client accounts and their ledger."""

    async def create_account(
        self,
        name: str,
        *,
        currency: str,
        price_list: Mapping[str, Any],
        credit_limit: Decimal | None = None,
        spend_cap_day: Decimal | None = None,
        spend_cap_month: Decimal | None = None,
        low_balance: Decimal | None = None,
        margin_policy: str = MarginPolicy.SKIP,
        tx: AsyncConnection | None = None,
    ) -> AccountRow:
        """A new active account with no funds; ``AccountExists`` when the name is taken."""
        from gateway.accounts.errors import AccountExists  # gateway.orders imports the store

        values: dict[str, Any] = {
            "credit_limit": credit_limit,
            "spend_cap_day": spend_cap_day,
            "spend_cap_month": spend_cap_month,
            "low_balance": low_balance,
            "margin_policy": str(margin_policy),
        }
        _check(values)
        if not name.strip() or len(name) > 100:
            raise ValueError("an account name has 1 to 100 characters")
        now = self._clock()
        values |= {
            "name": name,
            "currency": currency,
            "state": AccountState.ACTIVE.value,
            "balance": Decimal(0),
            "held": Decimal(0),
            "price_list": dict(price_list),
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        if await self.account(name, tx=tx) is not None:
            raise AccountExists(name)
        async with self._read(tx) as conn:
            shared = select(api_keys.c.id).where(api_keys.c.client_id == name).limit(1)
            if (await conn.execute(shared)).first() is not None:
                # Orders belong to a client id: the account would reach those keys' orders.
                raise AccountExists(
                    name, f"{name!r} is the client id of API keys outside any account"
                )
        try:
            async with self._write(tx) as conn:
                inserted = await conn.execute(
                    accounts.insert().values(values).returning(*accounts.c)
                )
                return AccountRow.from_row(inserted.mappings().one())
        except IntegrityError as exc:  # created meanwhile by another writer
            raise AccountExists(name) from exc

    async def account(self, name: str, *, tx: AsyncConnection | None = None) -> AccountRow | None:
        """The account named `name`, if any."""
        async with self._read(tx) as conn:
            query = select(accounts).where(accounts.c.name == name)
            found = (await conn.execute(query)).mappings().one_or_none()
        return None if found is None else AccountRow.from_row(found)

    async def account_by_id(
        self, account_id: int, *, tx: AsyncConnection | None = None
    ) -> AccountRow | None:
        """The account with `account_id`, if any."""
        async with self._read(tx) as conn:
            query = select(accounts).where(accounts.c.id == account_id)
            found = (await conn.execute(query)).mappings().one_or_none()
        return None if found is None else AccountRow.from_row(found)

    async def list_accounts(self, *, tx: AsyncConnection | None = None) -> list[AccountRow]:
        """Every account, by name."""
        async with self._read(tx) as conn:
            result = await conn.execute(select(accounts).order_by(accounts.c.name))
            return [AccountRow.from_row(found) for found in result.mappings()]

    async def update_account(
        self, account_id: int, *, tx: AsyncConnection | None = None, **changes: Any
    ) -> AccountRow:
        """Change an account's settings (`CHANGEABLE`); ``AccountNotFound`` for an unknown id.

        await store.update_account(account.id, state="suspended")
        """
        unknown = set(changes) - CHANGEABLE
        if unknown:
            raise TypeError(f"cannot update account field(s): {', '.join(sorted(unknown))}")
        _check(changes)
        values: dict[str, Any] = dict(changes)
        for name in ("state", "margin_policy", "routing_policy"):
            if values.get(name) is not None:
                values[name] = str(values[name])
        if "price_list" in values:
            values["price_list"] = dict(values["price_list"])
        async with self._write(tx) as conn:
            account = await lock_account(conn, account_id)
            result = await conn.execute(
                accounts.update()
                .where(accounts.c.id == account_id)
                .values(**values, updated_at=self._clock(), version=account.version + 1)
                .returning(*accounts.c)
            )
            return AccountRow.from_row(result.mappings().one())

    async def set_account_routing_policy(
        self, account_id: int, policy: str | None, *, tx: AsyncConnection | None = None
    ) -> AccountRow:
        """Route the account's orders by `policy` (a ``RoutingPolicy``; ``None``: the group's or
        the configuration's); ``ValueError`` for an unknown policy."""
        return await self.update_account(account_id, routing_policy=policy, tx=tx)

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
