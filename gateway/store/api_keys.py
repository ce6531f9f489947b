"""The gateway's own API keys: the secret is shown once and only its sha256 is stored.

A lookup by hash needs no constant-time comparison: the database finds the row by an index on
a value the caller cannot steer bit by bit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries
from gateway.store.rows import ApiKeyRow, RoutingPolicy
from gateway.store.tables import accounts, api_keys

SECRET_PREFIX = "smmgw_"
"""Every secret starts with this, so leaked keys are easy to recognise and scan for."""
DISPLAY_CHARS = 12
"""How much of the secret is kept in clear (``prefix``) to tell keys apart in listings."""
MIN_SECRET_LENGTH = 16
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""``last_used_at`` is rewritten at most this often, so verification is usually read-only."""
IN_CHUNK = 500
"""Ids per ``IN`` list: well under SQLite's limit of bound parameters in one statement."""


def hash_secret(secret: str) -> str:
    """The stored form of a secret: its sha256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


_PUBLIC = [c for c in api_keys.c if c.name != "key_hash"]
_BY_ID = select(*_PUBLIC).where(api_keys.c.id == bindparam("key_id"))  # built once: every order


class ApiKeyQueries(Queries):
    """Creating, verifying, listing and revoking API keys."""

    async def create_api_key(
        self,
        name: str,
        client_id: str,
        scopes: Iterable[str],
        *,
        secret: str | None = None,
        account_id: int | None = None,
        tx: AsyncConnection | None = None,
    ) -> tuple[ApiKeyRow, str]:
        """A new key and its secret; the secret cannot be recovered later.

        row, secret = await store.create_api_key("ci", "acme", ["order"])

        `secret` imports a key chosen elsewhere (at least 16 characters); by default one is
        generated. `account_id` makes it a client account's key (None: the operator's own).
        """
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"an API key needs at least {MIN_SECRET_LENGTH} characters")
        secret = secret or SECRET_PREFIX + secrets.token_urlsafe(32)
        values: dict[str, Any] = {
            "name": name,
            # An imported secret shows less of itself: it has no public prefix to spend.
            "prefix": secret[: DISPLAY_CHARS if secret.startswith(SECRET_PREFIX) else 4],
            "key_hash": hash_secret(secret),
            "client_id": client_id,
            "scopes": sorted(set(scopes)),
            "created_at": self._clock(),
            "account_id": account_id,
        }
        async with self._write(tx) as conn:
            if account_id is None:
                # Orders belong to a client id: a key outside an account must not share the id
                # of an account's keys, or each would reach the other's orders.
                taken = select(accounts.c.id).where(accounts.c.name == client_id).limit(1)
                if (await conn.execute(taken)).first() is not None:
                    raise ValueError(
                        f"{client_id!r} is a client account's name: create the key for the "
                        "account, or choose another client id"
                    )
            result = await conn.execute(api_keys.insert().values(values).returning(*_PUBLIC))
            return ApiKeyRow.from_row(result.mappings().one()), secret

    async def verify_api_key(
        self, secret: str, *, tx: AsyncConnection | None = None
    ) -> ApiKeyRow | None:
        """The active key whose secret this is, or ``None`` (unknown or revoked)."""
        if len(secret) < MIN_SECRET_LENGTH:
            return None
        query = select(*_PUBLIC).where(
            api_keys.c.key_hash == hash_secret(secret), api_keys.c.revoked_at.is_(None)
        )
        async with self._read(tx) as conn:
            found = (await conn.execute(query)).mappings().one_or_none()
        if found is None:
            return None
        row = ApiKeyRow.from_row(found)
        now = self._clock()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
            async with self._write(tx) as conn:
                await conn.execute(
                    api_keys.update().where(api_keys.c.id == row.id).values(last_used_at=now)
                )
            row = ApiKeyRow.from_row({**found, "last_used_at": now})
        return row

    async def list_api_keys(
        self, client_id: str | None = None, *, tx: AsyncConnection | None = None
    ) -> list[ApiKeyRow]:
        """Every key (revoked ones too), oldest first, optionally one client's."""
        query: Select[Any] = select(*_PUBLIC).order_by(api_keys.c.id)
        if client_id is not None:
            query = query.where(api_keys.c.client_id == client_id)
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [ApiKeyRow.from_row(found) for found in result.mappings()]

    async def api_key(self, key_id: int, *, tx: AsyncConnection | None = None) -> ApiKeyRow | None:
        """The key with `key_id` (revoked or not), if any."""
        async with self._read(tx) as conn:
            found = (await conn.execute(_BY_ID, {"key_id": key_id})).mappings().one_or_none()
        return None if found is None else ApiKeyRow.from_row(found)

    async def inactive_api_keys(
        self, key_ids: Collection[int], *, tx: AsyncConnection | None = None
    ) -> set[int]:
        """Those of `key_ids` that are revoked or gone (a query per `IN_CHUNK` of them)."""
        wanted = sorted(set(key_ids))
        active: set[int] = set()
        async with self._read(tx) as conn:
            for start in range(0, len(wanted), IN_CHUNK):
                query = select(api_keys.c.id).where(
                    api_keys.c.id.in_(wanted[start : start + IN_CHUNK]),
                    api_keys.c.revoked_at.is_(None),
                )
                active.update((await conn.execute(query)).scalars())
        return set(wanted) - active

    async def set_api_key_routing_policy(
        self, key_id: int, policy: str | None, *, tx: AsyncConnection | None = None
    ) -> ApiKeyRow | None:
        """Route the key's orders by `policy` (a ``RoutingPolicy``; ``None``: its account's, the
        group's or the configuration's); the key as changed, ``None`` for an unknown id.
        ``ValueError`` for an unknown policy."""
        value = None if policy is None else RoutingPolicy(policy).value
        async with self._write(tx) as conn:
            result = await conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id)
                .values(routing_policy=value)
                .returning(*_PUBLIC)
            )
            found = result.mappings().one_or_none()
        return None if found is None else ApiKeyRow.from_row(found)

    async def revoke_api_key(self, key_id: int, *, tx: AsyncConnection | None = None) -> bool:
        """Revoke a key; returns whether it was active."""
        async with self._write(tx) as conn:
            result = await conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
        return bool(result.rowcount)
