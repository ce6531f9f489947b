"""Stable integer ids for provider services and service groups.

An id, once given, never changes: rows are only ever inserted (``ON CONFLICT DO NOTHING``, so
concurrent syncs agree) and marked removed, never deleted or renumbered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries, chunks
from gateway.store.tables import catalog_groups as groups
from gateway.store.tables import catalog_services as services
from gateway.store.tables import catalog_syncs

ServiceKey = tuple[str, str]
"""(provider name, provider service id)."""
ListedRates = dict[str, tuple[Decimal, str]]
"""What a provider listed: service id -> (rate per 1,000, currency)."""


class CatalogQueries(Queries):
    """Ids for the catalog, and what each provider listed at its last sync."""

    async def catalog_syncs(self) -> dict[str, datetime]:
        """When each provider's services were last fetched, by any process."""
        async with self._read(None) as conn:
            result = await conn.execute(select(catalog_syncs.c.provider, catalog_syncs.c.synced_at))
            return {str(provider): at for provider, at in result}

    async def service_ids(
        self, pairs: Iterable[ServiceKey], *, tx: AsyncConnection | None = None
    ) -> dict[ServiceKey, int]:
        """The id of every (provider, provider service id), creating the missing ones.

        Every pair counts as seen now: ``last_seen`` moves forward and a service that had been
        marked removed is live again (with the same id).
        """
        wanted = sorted(set(pairs))
        now = self._clock()
        out: dict[ServiceKey, int] = {}
        async with self._write(tx) as conn:
            for batch in chunks(wanted):
                rows = [
                    {"provider": p, "provider_service_id": s, "first_seen": now, "last_seen": now}
                    for p, s in batch
                ]
                await conn.execute(
                    self._insert(services)
                    .values(rows)
                    .on_conflict_do_nothing(
                        index_elements=[services.c.provider, services.c.provider_service_id]
                    )
                )
                key = tuple_(services.c.provider, services.c.provider_service_id)
                await conn.execute(
                    services.update().where(key.in_(batch)).values(last_seen=now, removed_at=None)
                )
                result = await conn.execute(
                    select(
                        services.c.provider, services.c.provider_service_id, services.c.id
                    ).where(key.in_(batch))
                )
                out.update({(p, s): i for p, s, i in result})
        return out

    async def mark_services_removed(
        self,
        provider: str,
        provider_service_ids: Iterable[str],
        at: datetime,
        *,
        tx: AsyncConnection | None = None,
    ) -> None:
        """Mark services a provider no longer lists; their ids stay reserved for them."""
        async with self._write(tx) as conn:
            for batch in chunks(set(provider_service_ids)):
                await conn.execute(
                    services.update()
                    .where(
                        services.c.provider == provider,
                        services.c.provider_service_id.in_(batch),
                        services.c.removed_at.is_(None),
                    )
                    .values(removed_at=at)
                )

    async def group_ids(
        self, names: Mapping[str, str], *, tx: AsyncConnection | None = None
    ) -> dict[str, int]:
        """The id of every group key in `names` (key -> display name), creating missing ones.

        The name is recorded when the group is first seen; the catalog owns the current name.
        """
        wanted = sorted(names)
        now = self._clock()
        out: dict[str, int] = {}
        async with self._write(tx) as conn:
            for batch in chunks(wanted):
                await conn.execute(
                    self._insert(groups)
                    .values([{"key": k, "name": names[k], "created_at": now} for k in batch])
                    .on_conflict_do_nothing(index_elements=[groups.c.key])
                )
                result = await conn.execute(
                    select(groups.c.key, groups.c.id).where(groups.c.key.in_(batch))
                )
                out.update({k: i for k, i in result})
        return out

    async def known_group_ids(
        self, ids: Iterable[int], *, tx: AsyncConnection | None = None
    ) -> set[int]:
        """Which of `ids` are ids the catalog has given a unified service (offered now or
        not: an id is never reused)."""
        wanted = sorted(set(ids))
        found: set[int] = set()
        async with self._read(tx) as conn:
            for batch in chunks(wanted):
                result = await conn.execute(select(groups.c.id).where(groups.c.id.in_(batch)))
                found.update(result.scalars())
        return found
