"""``smm-gateway accounts`` on the store of a configuration (``--config``): the ledger itself,
no running gateway needed (the first account, a check of the books)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from gateway.accounts.pricing import PriceList
from gateway.cli.accounts_shape import (
    Terms,
    account_fields,
    missing,
    money,
    moved_fields,
    movement_fields,
)
from gateway.cli.common import local_settings
from gateway.cli.ledger import connect_store
from gateway.store import AccountRow, MovementRow, Store

T = TypeVar("T")


def _row(row: AccountRow) -> dict[str, Any]:
    prices = PriceList(**row.price_list)
    return account_fields(
        id=row.id, name=row.name, state=row.state, currency=row.currency,
        balance=row.balance, held=row.held, available=row.available,
        credit_limit=row.credit_limit, markup=prices.markup_percent,
        min_margin=prices.min_margin_percent, overrides=len(prices.overrides),
        daily_cap=row.spend_cap_day, monthly_cap=row.spend_cap_month,
        low_balance=row.low_balance, policy=row.margin_policy,
    )  # fmt: skip


def _movement(row: MovementRow) -> dict[str, Any]:
    return movement_fields(
        id=row.id, at=row.created_at, kind=row.kind, amount=row.amount, order=row.order_id,
        reason=row.reason,
    )  # fmt: skip


class LocalAccounts:
    """The accounts of the ledger a configuration names, one short connection per command."""

    def __init__(self, config: Path | None) -> None:
        settings = local_settings(config)
        self._url = settings.gateway.database_url
        self._currency = settings.gateway.base_currency.upper()

    def _run(self, work: Callable[[Store], Awaitable[T]]) -> T:
        async def run() -> T:
            async with await connect_store(self._url) as store:
                return await work(store)

        return asyncio.run(run())

    @staticmethod
    async def _named(store: Store, name: str) -> AccountRow:
        found = await store.account(name)
        if found is None:
            raise ValueError(missing(name))
        return found

    def create(self, name: str, terms: Terms) -> dict[str, Any]:
        prices = PriceList(markup_percent=terms.markup, min_margin_percent=terms.min_margin)

        async def work(store: Store) -> dict[str, Any]:
            made = await store.create_account(
                name, currency=self._currency, price_list=prices.model_dump(mode="json"),
                credit_limit=terms.credit_limit, spend_cap_day=terms.daily_cap,
                spend_cap_month=terms.monthly_cap, low_balance=terms.low_balance,
                margin_policy=terms.policy,
            )  # fmt: skip
            return _row(made)

        return self._run(work)

    def every(self) -> list[dict[str, Any]]:
        async def work(store: Store) -> list[dict[str, Any]]:
            return [_row(r) for r in await store.list_accounts()]

        return self._run(work)

    def show(self, name: str, movements: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async def work(store: Store) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            found = await self._named(store, name)
            now = datetime.now(UTC)
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
            row = {
                **_row(found),
                "spent_today": money(await store.spend(found.id, today)),
                "spent_this_month": money(await store.spend(found.id, today.replace(day=1))),
            }
            recent = await store.movements(found.id, limit=movements)
            return row, [_movement(m) for m in recent]

        return self._run(work)

    def top_up(self, name: str, amount: Decimal, reason: str | None) -> dict[str, Any]:
        async def work(store: Store) -> dict[str, Any]:
            found = await self._named(store, name)
            made = await store.top_up(found.id, amount, reason=reason)
            return await self._moved(store, name, made)

        return self._run(work)

    def adjust(self, name: str, amount: Decimal, reason: str) -> dict[str, Any]:
        async def work(store: Store) -> dict[str, Any]:
            found = await self._named(store, name)
            made = await store.adjust(found.id, amount, reason=reason)
            return await self._moved(store, name, made)

        return self._run(work)

    async def _moved(self, store: Store, name: str, made: MovementRow) -> dict[str, Any]:
        after = await self._named(store, name)
        return moved_fields(after.name, _movement(made), after.balance, after.held)

    def set_state(self, name: str, state: str) -> dict[str, Any]:
        async def work(store: Store) -> dict[str, Any]:
            found = await self._named(store, name)
            return _row(await store.update_account(found.id, state=state))

        return self._run(work)

    def check(self) -> tuple[int, list[str]]:
        """How many accounts there are, and what is wrong with the ledger (nothing: [])."""

        async def work(store: Store) -> tuple[int, list[str]]:
            return len(await store.list_accounts()), await store.ledger_problems()

        return self._run(work)
