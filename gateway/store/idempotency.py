"""Idempotency keys: one owner per (client, key), decided by the database's primary key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries
from gateway.store.rows import IdempotencyClaim
from gateway.store.tables import idempotency_keys as keys


class IdempotencyQueries(Queries):
    """Claiming and resolving idempotency keys."""

    async def claim_idempotency_key(
        self, client_id: str, key: str, fingerprint: str, *, tx: AsyncConnection | None = None
    ) -> IdempotencyClaim:
        """Claim `key` for `client_id`; exactly one caller ever gets ``owner=True``.

        Atomic across processes: the insert either creates the row or, on conflict with the
        primary key, does nothing, and then the row that won is read back. A loser sees the
        winner's fingerprint (compare with ``claim.matches(fingerprint)``) and its order id,
        which stays ``None`` until the winner calls ``attach_idempotency_order``.
        """
        now = self._clock()
        insert = (
            self._insert(keys)
            .values(client_id=client_id, key=key, fingerprint=fingerprint, created_at=now)
            .on_conflict_do_nothing(index_elements=[keys.c.client_id, keys.c.key])
            .returning(keys.c.created_at)
        )
        async with self._write(tx) as conn:
            # Insert first: on SQLite the write lock is then held before the read, and on
            # PostgreSQL a conflicting insert waits for the other transaction to finish.
            created = (await conn.execute(insert)).scalar_one_or_none()
            if created is not None:
                return IdempotencyClaim(True, client_id, key, fingerprint, None, created)
            query = select(keys).where(keys.c.client_id == client_id, keys.c.key == key)
            row = (await conn.execute(query)).mappings().one()
        return IdempotencyClaim(
            owner=False,
            client_id=client_id,
            key=key,
            fingerprint=row["fingerprint"],
            order_id=row["order_id"],
            created_at=row["created_at"],
        )

    async def attach_idempotency_order(
        self, client_id: str, key: str, order_id: int, *, tx: AsyncConnection | None = None
    ) -> None:
        """Record the order the owner of `key` created, for every later retry to find."""
        async with self._write(tx) as conn:
            await conn.execute(
                keys.update()
                .where(keys.c.client_id == client_id, keys.c.key == key)
                .values(order_id=order_id)
            )

    async def release_idempotency_key(
        self, client_id: str, key: str, *, tx: AsyncConnection | None = None
    ) -> bool:
        """Give up a claim that produced no order (e.g. the request was invalid), so a retry
        may claim it afresh. Keys with an order are kept. Returns whether a claim was freed."""
        async with self._write(tx) as conn:
            result = await conn.execute(
                keys.delete().where(
                    keys.c.client_id == client_id, keys.c.key == key, keys.c.order_id.is_(None)
                )
            )
        return bool(result.rowcount)
