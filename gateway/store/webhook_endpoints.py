"""Webhook endpoints: the registered receivers, each with the event types it wants and its
signing secrets. What is sent to them is `webhook_deliveries`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries
from gateway.store.rows import _FromRow
from gateway.store.tables import webhook_deliveries, webhook_endpoints


@dataclass(frozen=True, slots=True)
class WebhookEndpointRow(_FromRow):
    """A registered receiver; `secret` holds its signing secrets (see gateway.webhooks)."""

    id: int
    url: str
    event_types: list[str]
    secret: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    disabled_reason: str | None = None

    def __repr__(self) -> str:
        # The secret signs every delivery: keep it out of logs and tracebacks.
        return f"WebhookEndpointRow(id={self.id}, url={self.url!r}, enabled={self.enabled})"


class WebhookEndpointQueries(Queries):
    """The registered receivers of webhooks."""

    async def create_webhook_endpoint(
        self,
        *,
        url: str,
        event_types: Sequence[str],
        secret: str,
        description: str | None = None,
        tx: AsyncConnection | None = None,
    ) -> WebhookEndpointRow:
        now = self._clock()
        values = {
            "url": url, "event_types": list(event_types), "secret": secret,
            "description": description, "enabled": True, "created_at": now, "updated_at": now,
        }  # fmt: skip
        async with self._write(tx) as conn:
            result = await conn.execute(
                webhook_endpoints.insert().values(values).returning(*webhook_endpoints.c)
            )
            return WebhookEndpointRow.from_row(result.mappings().one())

    async def get_webhook_endpoint(
        self, endpoint_id: int, *, tx: AsyncConnection | None = None
    ) -> WebhookEndpointRow | None:
        async with self._read(tx) as conn:
            result = await conn.execute(
                select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
            )
            found = result.mappings().first()
        return None if found is None else WebhookEndpointRow.from_row(found)

    async def list_webhook_endpoints(
        self, *, enabled_only: bool = False, tx: AsyncConnection | None = None
    ) -> list[WebhookEndpointRow]:
        query = select(webhook_endpoints).order_by(webhook_endpoints.c.id)
        if enabled_only:
            query = query.where(webhook_endpoints.c.enabled.is_(True))
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [WebhookEndpointRow.from_row(r) for r in result.mappings()]

    async def update_webhook_endpoint(
        self, endpoint_id: int, *, tx: AsyncConnection | None = None, **changes: Any
    ) -> WebhookEndpointRow | None:
        """Change any of url, event_types, description, secret, enabled, disabled_reason."""
        allowed = {"url", "event_types", "description", "secret", "enabled", "disabled_reason"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"not endpoint fields: {sorted(unknown)}")
        async with self._write(tx) as conn:
            result = await conn.execute(
                webhook_endpoints.update()
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(**changes, updated_at=self._clock())
                .returning(*webhook_endpoints.c)
            )
            found = result.mappings().first()
        return None if found is None else WebhookEndpointRow.from_row(found)

    async def delete_webhook_endpoint(
        self, endpoint_id: int, *, tx: AsyncConnection | None = None
    ) -> bool:
        """Delete an endpoint and (by cascade) its deliveries."""
        async with self._write(tx) as conn:
            # SQLite enforces ON DELETE CASCADE only with a pragma; delete the children here.
            await conn.execute(
                webhook_deliveries.delete().where(webhook_deliveries.c.endpoint_id == endpoint_id)
            )
            result = await conn.execute(
                webhook_endpoints.delete().where(webhook_endpoints.c.id == endpoint_id)
            )
        return bool(result.rowcount)
