"""Refills: one row per refill a provider accepted, with its gateway id and latest status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.rows import RefillRow
from gateway.store.tables import refills
from providers.models import RefillState

OPEN_REFILL_STATES = (RefillState.PENDING.value, RefillState.IN_PROGRESS.value)


class RefillQueries(Queries):
    """Recording and reading refills."""

    async def create_refill(
        self,
        order_id: int,
        provider: str,
        provider_refill_id: str,
        *,
        state: str = RefillState.PENDING,
        tx: AsyncConnection | None = None,
    ) -> RefillRow:
        now = self._clock()
        values = {
            "order_id": order_id,
            "provider": provider,
            "provider_refill_id": provider_refill_id,
            "state": str(state),
            "created_at": now,
            "updated_at": now,
        }
        async with self._write(tx) as conn:
            result = await conn.execute(refills.insert().values(values).returning(*refills.c))
            return RefillRow.from_row(result.mappings().one())

    async def update_refill(
        self,
        refill_id: int,
        *,
        state: str,
        status_raw: str | None,
        tx: AsyncConnection | None = None,
    ) -> RefillRow:
        async with self._write(tx) as conn:
            result = await conn.execute(
                refills.update()
                .where(refills.c.id == refill_id)
                .values(state=str(state), status_raw=status_raw, updated_at=self._clock())
                .returning(*refills.c)
            )
            return RefillRow.from_row(result.mappings().one())

    async def get_refills(
        self, ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """The refills with `ids` that exist, in the order asked."""
        wanted = list(dict.fromkeys(ids))
        found: dict[int, RefillRow] = {}
        async with self._read(tx) as conn:
            for batch in chunks(wanted):
                result = await conn.execute(select(refills).where(refills.c.id.in_(batch)))
                found.update({r["id"]: RefillRow.from_row(r) for r in result.mappings()})
        return [found[i] for i in wanted if i in found]

    async def refills_for_orders(
        self, order_ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """Every refill of the given orders, oldest first."""
        rows: list[RefillRow] = []
        async with self._read(tx) as conn:
            for batch in chunks(list(dict.fromkeys(order_ids))):
                query = select(refills).where(refills.c.order_id.in_(batch))
                result = await conn.execute(query.order_by(refills.c.id))
                rows.extend(RefillRow.from_row(r) for r in result.mappings())
        return rows

    async def open_refills(
        self, limit: int = 1000, *, tx: AsyncConnection | None = None
    ) -> list[RefillRow]:
        """Refills still pending or in progress, oldest first."""
        query: Any = (
            select(refills)
            .where(refills.c.state.in_(OPEN_REFILL_STATES))
            .order_by(refills.c.id)
            .limit(limit)
        )
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [RefillRow.from_row(r) for r in result.mappings()]
