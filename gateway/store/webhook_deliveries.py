"""Webhook deliveries, and the claims of the delivery worker.

A delivery row is one event on its way to one endpoint: it counts its attempts, keeps the last
status code and error, and is *due* while ``next_attempt_at`` is set and has passed. Delivered
rows have ``delivered_at``; rows given up on have neither. A redelivery is a new row for the
same event (same ``webhook-id``, so receivers deduplicate it as a retry).

Claiming due deliveries moves their ``next_attempt_at`` past a lease in one statement
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), so two workers never
attempt the same delivery at once, and a worker that dies lets the lease run out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.base import Queries
from gateway.store.rows import _FromRow
from gateway.store.tables import outbox, webhook_deliveries, webhook_endpoints


@dataclass(frozen=True, slots=True)
class WebhookDeliveryRow(_FromRow):
    """One event on its way to one endpoint; `attempt` counts the attempts made."""

    id: int
    endpoint_id: int
    event_id: str
    attempt: int
    created_at: datetime
    status_code: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def state(self) -> str:
        """``delivered``, ``pending`` (an attempt is scheduled) or ``failed`` (given up)."""
        if self.delivered_at is not None:
            return "delivered"
        return "pending" if self.next_attempt_at is not None else "failed"


class WebhookDeliveryQueries(Queries):
    """Deliveries of events to endpoints, and the claims of the delivery worker."""

    async def add_webhook_delivery(
        self,
        endpoint_id: int,
        event_id: str,
        *,
        once: bool = True,
        tx: AsyncConnection | None = None,
    ) -> WebhookDeliveryRow | None:
        """Schedule `event_id` for `endpoint_id` now.

        With `once`, an event already scheduled for the endpoint is left alone (returns None):
        fan-out runs inside the outbox claim, which serialises it per event.
        """
        now = self._clock()
        async with self._write(tx) as conn:
            if once:
                seen = await conn.execute(
                    select(
                        exists().where(
                            webhook_deliveries.c.endpoint_id == endpoint_id,
                            webhook_deliveries.c.event_id == event_id,
                        )
                    )
                )
                if seen.scalar():
                    return None
            result = await conn.execute(
                webhook_deliveries.insert()
                .values(
                    endpoint_id=endpoint_id,
                    event_id=event_id,
                    attempt=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .returning(*webhook_deliveries.c)
            )
            return WebhookDeliveryRow.from_row(result.mappings().one())

    async def get_webhook_delivery(
        self, delivery_id: int, *, tx: AsyncConnection | None = None
    ) -> WebhookDeliveryRow | None:
        async with self._read(tx) as conn:
            result = await conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            )
            found = result.mappings().first()
        return None if found is None else WebhookDeliveryRow.from_row(found)

    async def list_webhook_deliveries(
        self,
        endpoint_id: int,
        *,
        limit: int = 50,
        before_id: int | None = None,
        tx: AsyncConnection | None = None,
    ) -> list[WebhookDeliveryRow]:
        """An endpoint's deliveries, newest first."""
        query = (
            select(webhook_deliveries)
            .where(webhook_deliveries.c.endpoint_id == endpoint_id)
            .order_by(webhook_deliveries.c.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            query = query.where(webhook_deliveries.c.id < before_id)
        async with self._read(tx) as conn:
            result = await conn.execute(query)
            return [WebhookDeliveryRow.from_row(r) for r in result.mappings()]

    async def claim_due_deliveries(
        self, *, now: datetime, lease: timedelta, limit: int = 100
    ) -> list[WebhookDeliveryRow]:
        """Take up to `limit` due deliveries of enabled endpoints, oldest due first, moving
        each one's ``next_attempt_at`` to ``now + lease``."""
        due = (
            select(webhook_deliveries.c.id)
            .where(webhook_deliveries.c.next_attempt_at <= now)
            .where(webhook_deliveries.c.delivered_at.is_(None))
            .where(
                webhook_deliveries.c.endpoint_id.in_(
                    select(webhook_endpoints.c.id).where(webhook_endpoints.c.enabled.is_(True))
                )
            )
            .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            webhook_deliveries.update()
            .where(webhook_deliveries.c.id.in_(due))
            .values(next_attempt_at=now + lease)
            .returning(*webhook_deliveries.c)
        )
        async with self._write(None) as conn:
            result = await conn.execute(claim)
            rows = [WebhookDeliveryRow.from_row(r) for r in result.mappings()]
        return sorted(rows, key=lambda r: r.id)

    async def record_webhook_attempt(
        self,
        delivery_id: int,
        *,
        status_code: int | None,
        error: str | None,
        delivered: bool,
        next_attempt_at: datetime | None,
        tx: AsyncConnection | None = None,
    ) -> WebhookDeliveryRow | None:
        """Count one attempt and its outcome; `next_attempt_at` None ends the retries."""
        now = self._clock()
        async with self._write(tx) as conn:
            result = await conn.execute(
                webhook_deliveries.update()
                .where(webhook_deliveries.c.id == delivery_id)
                .values(
                    attempt=webhook_deliveries.c.attempt + 1,
                    status_code=status_code,
                    error=error,
                    delivered_at=now if delivered else None,
                    next_attempt_at=None if delivered else next_attempt_at,
                )
                .returning(*webhook_deliveries.c)
            )
            found = result.mappings().first()
        return None if found is None else WebhookDeliveryRow.from_row(found)

    async def webhook_delivery_counts(self, *, tx: AsyncConnection | None = None) -> dict[str, int]:
        """How many deliveries are delivered, pending and failed."""
        state = (
            select(
                func.count().filter(webhook_deliveries.c.delivered_at.is_not(None)),
                func.count().filter(
                    webhook_deliveries.c.delivered_at.is_(None),
                    webhook_deliveries.c.next_attempt_at.is_not(None),
                ),
                func.count().filter(
                    webhook_deliveries.c.delivered_at.is_(None),
                    webhook_deliveries.c.next_attempt_at.is_(None),
                ),
            )
        )  # fmt: skip
        async with self._read(tx) as conn:
            delivered, pending, failed = (await conn.execute(state)).one()
        return {"delivered": delivered, "pending": pending, "failed": failed}

    async def event_payloads(
        self, event_ids: Sequence[str], *, tx: AsyncConnection | None = None
    ) -> dict[str, dict[str, Any]]:
        """The outbox payloads of `event_ids` (what a delivery sends), by event id."""
        wanted = list(dict.fromkeys(event_ids))
        if not wanted:
            return {}
        async with self._read(tx) as conn:
            result = await conn.execute(
                select(outbox.c.event_id, outbox.c.payload).where(outbox.c.event_id.in_(wanted))
            )
            return {row.event_id: row.payload for row in result}
