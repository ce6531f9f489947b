"""Delivering events to webhook endpoints: fan-out into delivery rows, then attempts with
retries, per the Standard Webhooks specification.

At least once: `fan_out` runs inside the outbox drain's transaction (the event and its delivery
rows commit together), and an attempt is recorded only after it ends, so a crash at any point
leads to another attempt, never to a lost event. Receivers deduplicate by ``webhook-id`` (the
event id, the same on every retry and redelivery).

An attempt succeeds on any 2xx. A 410 Gone disables the endpoint. Other answers, timeouts and
connection errors are retried with `RetrySchedule` (honouring ``Retry-After``) until
``max_attempts``; redirects are not followed (a redirect could lead to a private address).

::

    dispatcher = WebhookDispatcher(store, delivery_client(), WebhookOptions())
    drain = OutboxDrain(store, broadcast, sinks=[dispatcher.fan_out])
    PeriodicJob("webhooks", 1.0, lambda _: dispatcher.deliver_due(100))
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway import metrics
from gateway.events import Event
from gateway.store import Store, WebhookDeliveryRow, WebhookEndpointRow
from gateway.webhooks.options import WebhookOptions
from gateway.webhooks.retry import RetrySchedule, parse_retry_after
from gateway.webhooks.signing import SecretSet, sign_headers
from gateway.webhooks.targets import (
    InvalidTarget,
    Resolver,
    Target,
    UnresolvedTarget,
    resolve_target,
    system_resolver,
)

log = logging.getLogger(__name__)

USER_AGENT = "smm-gateway-webhooks/1"


def delivery_client() -> httpx.AsyncClient:
    """The HTTP client for deliveries: no redirects, and no proxy or other settings from the
    environment (a proxy would connect by name again, past the address check)."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False)


def subscribed(endpoint: WebhookEndpointRow, event_type: str) -> bool:
    """Whether `endpoint` wants events of `event_type` (``*`` means every type)."""
    return "*" in endpoint.event_types or event_type in endpoint.event_types


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON, keys in payload order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookDispatcher:
    """Fans events out to endpoints and runs due delivery attempts; see the module docstring."""

    def __init__(
        self,
        store: Store,
        client: httpx.AsyncClient,
        options: WebhookOptions | None = None,
        *,
        schedule: RetrySchedule | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        resolver: Resolver = system_resolver,
    ) -> None:
        self.store = store
        self.client = client
        self.options = options or WebhookOptions()
        self.schedule = schedule or RetrySchedule()
        self._clock = clock
        self._resolver = resolver
        self._listed: tuple[AsyncConnection, list[WebhookEndpointRow]] | None = None

    async def fan_out(self, event: Event, tx: AsyncConnection | None = None) -> int:
        """Schedule `event` for every enabled endpoint subscribed to its type; an event
        already scheduled for an endpoint is not scheduled again. Returns how many were new.

        The endpoints are read once per transaction `tx`: a drain fans a whole batch out in
        one, and on SQLite holds the write lock meanwhile (one read, not one per event)."""
        endpoints = await self._endpoints(tx)
        created = 0
        for endpoint in endpoints:
            if subscribed(endpoint, event.type):
                row = await self.store.add_webhook_delivery(endpoint.id, event.id, tx=tx)
                created += row is not None
        return created

    async def _endpoints(self, tx: AsyncConnection | None) -> list[WebhookEndpointRow]:
        if tx is not None and self._listed is not None and self._listed[0] is tx:
            return self._listed[1]
        endpoints = await self.store.list_webhook_endpoints(enabled_only=True, tx=tx)
        # The transaction itself is kept (not its id): no later one can be taken for it.
        self._listed = (tx, endpoints) if tx is not None else None
        return endpoints

    async def redeliver(self, delivery: WebhookDeliveryRow) -> WebhookDeliveryRow:
        """Send a delivery's event again, as a new delivery due now."""
        row = await self.store.add_webhook_delivery(
            delivery.endpoint_id, delivery.event_id, once=False
        )
        assert row is not None
        return row

    async def deliver_due(self, limit: int = 100) -> int:
        """Attempt up to `limit` due deliveries, `concurrency` at a time; returns how many
        attempts were made."""
        now = self._clock()
        # The claim must outlast the slowest batch: `concurrency` attempts at a time, each
        # bounded by `timeout` (plus the address check), or another worker sends them again.
        rounds = -(-limit // self.options.concurrency)
        lease = max(self.options.lease, timedelta(seconds=rounds * self.options.timeout * 2 + 30))
        rows = await self.store.claim_due_deliveries(now=now, lease=lease, limit=limit)
        if not rows:
            return 0
        payloads = await self.store.event_payloads([r.event_id for r in rows])
        endpoints: dict[int, WebhookEndpointRow | None] = {}
        for endpoint_id in {r.endpoint_id for r in rows}:
            endpoints[endpoint_id] = await self.store.get_webhook_endpoint(endpoint_id)
        gate = asyncio.Semaphore(self.options.concurrency)

        async def one(row: WebhookDeliveryRow) -> None:
            async with gate:
                await self._deliver(row, endpoints.get(row.endpoint_id), payloads.get(row.event_id))

        await asyncio.gather(*(one(row) for row in rows))
        return len(rows)

    async def _deliver(
        self,
        row: WebhookDeliveryRow,
        endpoint: WebhookEndpointRow | None,
        payload: dict[str, Any] | None,
    ) -> None:
        if endpoint is None or not endpoint.enabled:
            return  # deleted or disabled since the claim; the lease lapses harmlessly
        if payload is None:
            # The outbox row is gone: nothing can ever be sent for this delivery.
            await self._finish(row, AttemptResult(None, "event no longer in the outbox"), "gave_up")
            return
        try:
            # One budget for the lookup and the request: a slow resolver cannot hold a worker
            # longer than a slow receiver can. httpx bounds each read; a receiver trickling
            # bytes is cut here.
            async with asyncio.timeout(self.options.timeout):
                target = await resolve_target(
                    endpoint.url,
                    allow_private=self.options.allow_private_targets,
                    resolver=self._resolver,
                )
                result = await self._attempt(target, endpoint, row.event_id, payload)
        except UnresolvedTarget as exc:
            result = AttemptResult(None, str(exc))
        except InvalidTarget as exc:
            await self._finish(row, AttemptResult(None, str(exc)), "refused")
            return
        except TimeoutError:
            result = AttemptResult(None, f"no answer within {self.options.timeout:g}s")
        if result.ok:
            outcome = "delivered"
        elif result.status_code == 410:
            outcome = "gone"
        elif row.attempt + 1 >= self.options.max_attempts:
            outcome = "gave_up"
        else:
            outcome = "retry"
        await self._finish(row, result, outcome)
        if outcome == "gone":
            await self.store.update_webhook_endpoint(
                endpoint.id, enabled=False, disabled_reason="the endpoint answered 410 Gone"
            )
            log.warning("webhook endpoint %s answered 410: disabled", endpoint.id)

    async def _attempt(
        self, target: Target, endpoint: WebhookEndpointRow, event_id: str, payload: dict[str, Any]
    ) -> AttemptResult:
        now = self._clock()
        body = body_of(payload)
        active = SecretSet.parse(endpoint.secret).active(now)
        headers = {
            **sign_headers(active, event_id, now, body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        timeout = httpx.Timeout(self.options.timeout)
        url, pinned_headers, extensions = target.pinned()
        try:
            # Built by hand: `stream` takes no request extensions (the pinned TLS name).
            request = self.client.build_request(
                "POST", url, content=body, headers={**headers, **pinned_headers},
                timeout=timeout, extensions=extensions,
            )  # fmt: skip
            # Streamed so the receiver's body is never read: only its status matters.
            response = await self.client.send(request, stream=True, follow_redirects=False)
            try:
                status = response.status_code
                retry_after = parse_retry_after(response.headers.get("retry-after"), now)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            return AttemptResult(None, f"no answer within {self.options.timeout:g}s")
        except httpx.HTTPError as exc:
            return AttemptResult(None, f"{type(exc).__name__}: {exc}"[:500])
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return AttemptResult(status, error, retry_after)

    async def _finish(self, row: WebhookDeliveryRow, result: AttemptResult, outcome: str) -> None:
        attempt = row.attempt + 1
        next_at = None
        if outcome == "retry":
            next_at = self.schedule.next_attempt(attempt, self._clock(), result.retry_after)
        await self.store.record_webhook_attempt(
            row.id,
            status_code=result.status_code,
            error=result.error,
            delivered=outcome == "delivered",
            next_attempt_at=next_at,
        )
        metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
        log.info(
            "webhook delivery %s (event %s, endpoint %s) attempt %s: %s%s",
            row.id, row.event_id, row.endpoint_id, attempt, outcome,
            f" ({result.error})" if result.error else "",
        )  # fmt: skip
