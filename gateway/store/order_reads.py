"""Reading the order ledger: orders by id, by client and state, by provider order id, due for a
status poll or left ``RECEIVED``, and their histories. The writes are in ``orders``."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.errors import OrderNotFound
from gateway.store.rows import OrderEvent, OrderRow
from gateway.store.states import FINAL_STATES, GatewayState
from gateway.store.tables import order_events, orders


class OrderReads(Queries):
    """Reads of the order ledger."""

    async def get_order(self, order_id: int, *, tx: AsyncConnection | None = None) -> OrderRow:
        """The order with `order_id`; ``OrderNotFound`` if there is none."""
        async with self._read(tx) as conn:
            result = await conn.execute(select(orders).where(orders.c.id == order_id))
            found = result.mappings().one_or_none()
        if found is None:
            raise OrderNotFound(order_id)
        return OrderRow.from_row(found)

    async def get_orders(
        self, order_ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> list[OrderRow]:
        """The orders among `order_ids` that exist, in the order asked (for batch loaders)."""
        wanted = list(dict.fromkeys(order_ids))
        found: dict[int, OrderRow] = {}
        async with self._read(tx) as conn:
            for batch in chunks(wanted):
                result = await conn.execute(select(orders).where(orders.c.id.in_(batch)))
                for row in result.mappings():
                    found[row["id"]] = OrderRow.from_row(row)
        return [found[i] for i in wanted if i in found]

    async def list_orders(
        self,
        client_id: str | None = None,
        states: Collection[str] | None = None,
        after_id: int | None = None,
        limit: int = 50,
        *,
        whole_only: bool = False,
        tx: AsyncConnection | None = None,
    ) -> list[OrderRow]:
        """Orders newest first, optionally one client's and in some states; `whole_only` leaves
        out the child orders (parts, runs) of split and drip-fed orders.

        Keyset pagination: pass the last id of a page as `after_id` to get the next (older)
        page; unlike an offset it neither skips nor repeats rows while orders arrive.
        """
        query: Select[Any] = select(orders).order_by(orders.c.id.desc()).limit(limit)
        if client_id is not None:
            query = query.where(orders.c.client_id == client_id)
        if states is not None:
            query = query.where(orders.c.state.in_(list(states)))
        if after_id is not None:
            query = query.where(orders.c.id < after_id)
        if whole_only:
            query = query.where(orders.c.parent_id.is_(None))
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [OrderRow.from_row(found) for found in result.mappings()]

    async def order_events(
        self, order_id: int, *, tx: AsyncConnection | None = None
    ) -> list[OrderEvent]:
        """An order's history, oldest first."""
        query = select(order_events).where(order_events.c.order_id == order_id).order_by("id")
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [OrderEvent.from_row(found) for found in result.mappings()]

    async def order_events_for(
        self, order_ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> dict[int, list[OrderEvent]]:
        """The histories of several orders (one query per chunk of ids), oldest first."""
        found: dict[int, list[OrderEvent]] = {}
        async with self._read(tx) as conn:
            for batch in chunks(list(dict.fromkeys(order_ids))):
                query = (
                    select(order_events)
                    .where(order_events.c.order_id.in_(batch))
                    .order_by(order_events.c.id)
                )
                for row in (await conn.execute(query)).mappings():
                    event = OrderEvent.from_row(row)
                    found.setdefault(event.order_id, []).append(event)
        return found

    async def open_orders_due(
        self, now: datetime, limit: int = 100, *, tx: AsyncConnection | None = None
    ) -> list[OrderRow]:
        """Orders not in a final state whose ``next_poll_at`` has come, the most overdue first."""
        query = (
            select(orders)
            .where(orders.c.state.not_in(sorted(FINAL_STATES)))
            .where(orders.c.next_poll_at <= now)
            .order_by(orders.c.next_poll_at, orders.c.id)
            .limit(limit)
        )
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [OrderRow.from_row(found) for found in result.mappings()]

    async def find_by_provider_order(
        self, provider: str, provider_order_id: str, *, tx: AsyncConnection | None = None
    ) -> OrderRow | None:
        """The newest order a provider knows as `provider_order_id`, if any (a panel that was
        reset may have handed the same id to an older order too)."""
        query = (
            select(orders)
            .where(orders.c.provider == provider, orders.c.provider_order_id == provider_order_id)
            .order_by(orders.c.id.desc())
            .limit(1)
        )
        async with self._read(tx) as conn:
            found = (await conn.execute(query)).mappings().one_or_none()
        return None if found is None else OrderRow.from_row(found)

    async def received_before(
        self,
        before: datetime,
        after_id: int = 0,
        limit: int = 100,
        *,
        tx: AsyncConnection | None = None,
    ) -> list[OrderRow]:
        """``RECEIVED`` orders untouched since `before`, oldest first, ids above `after_id`."""
        query = (
            select(orders)
            .where(orders.c.state == GatewayState.RECEIVED.value)
            .where(orders.c.updated_at <= before, orders.c.id > after_id)
            .order_by(orders.c.id)
            .limit(limit)
        )
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [OrderRow.from_row(found) for found in result.mappings()]
