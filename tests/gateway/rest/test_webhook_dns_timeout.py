"""The lookup of a webhook target's name is part of the attempt: a resolver that never answers
costs the attempt its timeout (the lookup is cancelled, the attempt recorded as timed out, the
next one scheduled), and the address a resolver gives is checked like any other."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.core import Gateway
from gateway.events import event_from_payload
from gateway.webhooks import WebhookDispatcher, WebhookOptions
from gateway.webhooks.targets import InvalidTarget, resolve_target
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2

TIMEOUT = 0.2
URL = "https://hooks.example.test/in"


class StalledResolver:
    """A resolver that never answers, and notes whether its lookup was cancelled."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []
        self.cancelled = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        raise AssertionError("unreachable")


async def _relay(gw: Gateway, dispatcher: WebhookDispatcher) -> None:
    """What the outbox drain does with a webhook sink: fan out, then mark published."""
    async with gw.store.transaction() as tx:
        rows = await gw.store.pending_outbox(500, tx=tx)
        for row in rows:
            await dispatcher.fan_out(event_from_payload(row.payload), tx)
        await gw.store.mark_published((r.id for r in rows), tx=tx)


async def test_a_stalled_lookup_times_the_attempt_out_and_a_retry_follows(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    created = await client.post(
        "/v1/webhooks",
        json={"url": "http://hooks.example.test:8088/in", "event_types": ["order.created"]},
        headers={"Authorization": f"Bearer {keys.admin}"},
    )
    assert created.status_code == 201, created.text
    endpoint_id = int(created.json()["id"])
    resolver = StalledResolver()
    options = WebhookOptions(allow_private_targets=True, timeout=TIMEOUT, max_attempts=5)
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(gw.store, http, options, resolver=resolver)
        group = await shared_group(gw)
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
        await _relay(gw, dispatcher)
        attempts = await dispatcher.deliver_due(100)

    assert attempts == 1
    assert resolver.asked == [("hooks.example.test", 8088)]
    assert resolver.cancelled == 1, "the lookup was cancelled at the attempt's deadline"
    [delivery] = await gw.store.list_webhook_deliveries(endpoint_id)
    assert delivery.attempt == 1
    assert delivery.status_code is None
    assert delivery.error == f"no answer within {TIMEOUT:g}s"
    assert delivery.delivered_at is None
    assert delivery.next_attempt_at is not None, "the next attempt is scheduled"
    counts = await gw.store.webhook_delivery_counts()
    assert counts["pending"] == 1


async def test_the_address_a_resolver_gives_is_checked() -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["203.0.113.10", "127.0.0.1"]

    with pytest.raises(InvalidTarget, match=r"127\.0\.0\.1"):
        await resolve_target(
            "https://hooks.example.test/in", allow_private=False, resolver=rebinding
        )

    async def public(host: str, port: int) -> list[str]:
        return ["2606:4700::1", "2606:4700::1"]

    target = await resolve_target(
        "https://hooks.example.test/in", allow_private=False, resolver=public
    )
    assert target.address == "2606:4700::1"
    assert target.host == "hooks.example.test"
