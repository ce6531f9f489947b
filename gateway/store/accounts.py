"""Client accounts: their rows and settings; their money moves in `account_movements`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.account_ledger import lock_account
from gateway.store.base import Queries
from gateway.store.rows import AccountRow, AccountState, MarginPolicy, RoutingPolicy
from gateway.store.tables import accounts, api_keys

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


class AccountQueries(Queries):
    """Client accounts: their rows and settings (their money moves through `MovementQueries`)."""

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
