"""Idempotency keys: one owner per (client, key), decided by the database's primary key, and
proven by a token only the owner knows.

A claim's token changes hands only by compare-and-set (`take_over_idempotency_key`), and the
order is attached only under the token that claimed it, in the order row's own transaction: a
request whose claim was taken over cannot attach, so it rolls back before any provider call.
On PostgreSQL the row lock of a concurrent attach or take-over makes the other statement wait
and re-check its condition against the committed row; on SQLite every write transaction starts
with ``BEGIN IMMEDIATE`` and runs alone.
"""

from __future__ import annotations

import secrets

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries
from gateway.store.rows import IdempotencyClaim
from gateway.store.tables import idempotency_keys as keys
from gateway.store.tables import instances


def _new_token() -> str:
    return secrets.token_hex(16)


def _key(client_id: str, key: str) -> ColumnElement[bool]:
    return (keys.c.client_id == client_id) & (keys.c.key == key)


def _held_by(token: str | None) -> ColumnElement[bool]:
    # Claims made before tokens existed have none; only a take-over may match those.
    return keys.c.token.is_(None) if token is None else keys.c.token == token


class IdempotencyQueries(Queries):
    """Claiming, attaching, taking over and releasing idempotency keys."""

    async def claim_idempotency_key(
        self,
        client_id: str,
        key: str,
        fingerprint: str,
        *,
        tx: AsyncConnection | None = None,
        instance: str | None = None,
    ) -> IdempotencyClaim:
        """Claim `key` for `client_id`; exactly one caller ever gets ``owner=True``, with a
        fresh `token` that only it knows.

        Atomic across processes: the insert either creates the row or, on conflict with the
        primary key, does nothing, and then the row that won is read back. A loser sees the
        holder's fingerprint (compare with ``claim.matches(fingerprint)``) and its order id,
        which stays ``None`` until the holder calls ``attach_idempotency_order``.
        """
        now = self._clock()
        token = _new_token()
        insert = (
            self._insert(keys)
            .values(
                client_id=client_id,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
                token=token,
                instance=instance,
            )
            .on_conflict_do_nothing(index_elements=[keys.c.client_id, keys.c.key])
            .returning(keys.c.created_at)
        )
        async with self._write(tx) as conn:
            # Insert first: on SQLite the write lock is then held before the read, and on
            # PostgreSQL a conflicting insert waits for the other transaction to finish.
            created = (await conn.execute(insert)).scalar_one_or_none()
            if created is not None:
                return IdempotencyClaim(
                    owner=True, client_id=client_id, key=key, fingerprint=fingerprint,
                    order_id=None, created_at=created, token=token, read_at=now,
                )  # fmt: skip
            claim = await self._read_claim(conn, client_id, key)
        assert claim is not None, "a conflicting claim is gone inside its own transaction"
        return claim

    async def idempotency_claim(
        self, client_id: str, key: str, *, tx: AsyncConnection | None = None
    ) -> IdempotencyClaim | None:
        """The claim on `key` as it stands (never owned by the caller), or ``None``."""
        async with self._read(tx) as conn:
            return await self._read_claim(conn, client_id, key)

    async def attach_idempotency_order(
        self, client_id: str, key: str, token: str, order_id: int, *, tx: AsyncConnection
    ) -> bool:
        """Record the order the holder of `token` created, for every later retry to find.

        Run it in the transaction that inserts the order: when it returns ``False`` (the claim
        was taken over or freed meanwhile) that transaction must roll back.
        """
        result = await tx.execute(
            keys.update()
            .where(_key(client_id, key), _held_by(token), keys.c.order_id.is_(None))
            .values(order_id=order_id)
        )
        return bool(result.rowcount)

    async def reuse_idempotency_key(
        self,
        client_id: str,
        key: str,
        failed_order_id: int,
        fingerprint: str,
        order_id: int,
        *,
        tx: AsyncConnection,
    ) -> bool:
        """Make `key`, whose order `failed_order_id` failed without being placed, stand for
        `order_id` and the request `fingerprint` from now on (compare-and-set on the failed
        order: of concurrent reuses one wins). The caller has checked that order; run this in
        the new order's transaction and roll it back when it returns ``False``."""
        result = await tx.execute(
            keys.update()
            .where(_key(client_id, key), keys.c.order_id == failed_order_id)
            .values(order_id=order_id, fingerprint=fingerprint, created_at=self._clock())
        )
        return bool(result.rowcount)

    async def take_over_idempotency_key(
        self,
        client_id: str,
        key: str,
        token: str | None,
        *,
        tx: AsyncConnection | None = None,
        instance: str | None = None,
    ) -> IdempotencyClaim | None:
        """Replace the token of a claim that still has no order with a fresh one, if it is
        still `token` (compare-and-set). The claim restarts its clock under its new owner.

        Returns the owned claim, or ``None`` when someone else changed the claim first (an
        order was attached, it was freed, or another waiter took it over).
        """
        now = self._clock()
        fresh = _new_token()
        async with self._write(tx) as conn:
            result = await conn.execute(
                keys.update()
                .where(_key(client_id, key), _held_by(token), keys.c.order_id.is_(None))
                .values(token=fresh, created_at=now, instance=instance)
            )
            if not result.rowcount:
                return None
            claim = await self._read_claim(conn, client_id, key)
        assert claim is not None
        return IdempotencyClaim(
            owner=True, client_id=client_id, key=key, fingerprint=claim.fingerprint,
            order_id=None, created_at=claim.created_at, token=fresh, read_at=now,
        )  # fmt: skip

    async def release_idempotency_key(
        self, client_id: str, key: str, token: str, *, tx: AsyncConnection | None = None
    ) -> bool:
        """Give up a claim that produced no order (e.g. the request was invalid), so a retry
        may claim it afresh. Only the holder of `token` may; keys with an order are kept.
        Returns whether a claim was freed."""
        async with self._write(tx) as conn:
            result = await conn.execute(
                keys.delete().where(
                    _key(client_id, key), _held_by(token), keys.c.order_id.is_(None)
                )
            )
        return bool(result.rowcount)

    async def _read_claim(
        self, conn: AsyncConnection, client_id: str, key: str
    ) -> IdempotencyClaim | None:
        row = (await conn.execute(select(keys).where(_key(client_id, key)))).mappings().first()
        if row is None:
            return None
        # The claiming process stopped heartbeating (`gateway.fleet`): nobody will attach.
        orphaned = (
            row["instance"] is not None
            and (
                await conn.execute(
                    select(instances.c.id).where(
                        instances.c.id == row["instance"], instances.c.expires_at < self._clock()
                    )
                )
            ).first()
            is not None
        )
        return IdempotencyClaim(
            owner=False,
            client_id=client_id,
            key=key,
            fingerprint=row["fingerprint"],
            order_id=row["order_id"],
            created_at=row["created_at"],
            token=row["token"],
            read_at=self._clock(),
            orphaned=orphaned,
        )
