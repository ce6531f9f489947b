"""Webhook deliveries to a receiver on loopback that fails, throttles, stalls and recovers:
every event of an order's life arrives, signed per Standard Webhooks (verified with the
reference ``standardwebhooks`` package), nothing lost, duplicates only by ``webhook-id``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook

from gateway.core import Gateway
from gateway.events import event_from_payload
from gateway.webhooks import WebhookDispatcher, WebhookOptions
from gateway.webhooks.retry import RetrySchedule, parse_retry_after
from gateway.webhooks.signing import SecretSet, new_secret
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys, serve
from tests.gateway.rest.helpers import order_fields, shared_group, v2
from tests.gateway.rest.receiver import Answer, Receiver
from tests.gateway.syncing import sync_statuses

FAST = RetrySchedule(base=0.01, factor=2.0, cap=0.05, max_retry_after=0.05)


async def relay(gw: Gateway, dispatcher: WebhookDispatcher) -> None:
    """What the outbox drain does with a webhook sink: fan out, then mark published."""
    async with gw.store.transaction() as tx:
        rows = await gw.store.pending_outbox(500, tx=tx)
        for row in rows:
            await dispatcher.fan_out(event_from_payload(row.payload), tx)
        await gw.store.mark_published((r.id for r in rows), tx=tx)


async def deliver_all(dispatcher: WebhookDispatcher, rounds: int = 60) -> None:
    """Run due deliveries until none is pending (bounded)."""
    for _ in range(rounds):
        await dispatcher.deliver_due(100)
        counts = await dispatcher.store.webhook_delivery_counts()
        if counts["pending"] == 0:
            return
        await asyncio.sleep(0.06)
    raise AssertionError(f"deliveries still pending: {counts}")


async def endpoint(
    client: httpx.AsyncClient, keys: Keys, url: str, types: list[str] | None = None
) -> dict[str, object]:
    response = await client.post(
        "/v1/webhooks",
        json={"url": url, "event_types": types or ["*"]},
        headers={"Authorization": f"Bearer {keys.admin}"},
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_an_order_life_arrives_verified_through_failures(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    receiver = Receiver(
        Answer(500), Answer(429, headers={"Retry-After": "1"}), Answer(200, delay=1.0),
        Answer(503),
    )  # fmt: skip
    async with serve(receiver.app) as url, httpx.AsyncClient() as http:
        hook = await endpoint(client, keys, f"{url}/hook")
        options = WebhookOptions(allow_private_targets=True, timeout=0.3, max_attempts=20)
        dispatcher = WebhookDispatcher(gw.store, http, options, schedule=FAST)
        group = await shared_group(gw)
        placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
        await v2(client, "form", key=keys.alice, action="status", order=placed["order"])
        trio.advance(14 * 24 * 3600)
        await sync_statuses(gw)
        await v2(client, "form", key=keys.alice, action="status", order=placed["order"])
        sent = [r.event_id for r in await gw.store.pending_outbox(500)]
        await relay(gw, dispatcher)
        await relay(gw, dispatcher)  # nothing new: nothing scheduled twice
        await deliver_all(dispatcher)

    verifier = Webhook(str(hook["secret"]))
    types = []
    for request in receiver.received:
        payload = verifier.verify(request.body, request.headers)
        assert payload["id"] == request.headers["webhook-id"]
        types.append(payload["type"])
    assert set(receiver.ids()) == set(sent), "every event arrived"
    assert len(receiver.ids()) > len(sent), "failed attempts were retried"
    assert types[0] == "order.created"
    assert {"order.completed", "order.partial"} & set(types)
    deliveries = await gw.store.list_webhook_deliveries(int(str(hook["id"])))
    assert len(deliveries) == len(sent)
    assert all(d.state == "delivered" for d in deliveries)
    assert max(d.attempt for d in deliveries) > 1


async def test_410_disables_the_endpoint(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    receiver = Receiver(default=Answer(410))
    async with serve(receiver.app) as url, httpx.AsyncClient() as http:
        hook = await endpoint(client, keys, f"{url}/hook")
        dispatcher = WebhookDispatcher(
            gw.store, http, WebhookOptions(allow_private_targets=True), schedule=FAST
        )
        group = await shared_group(gw)
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group, 1))
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group, 2))
        await relay(gw, dispatcher)
        await dispatcher.deliver_due(1)
        assert await dispatcher.deliver_due(100) == 0, "nothing more goes to a gone endpoint"
    assert len(receiver.received) == 1
    row = await gw.store.get_webhook_endpoint(int(str(hook["id"])))
    assert row is not None
    assert not row.enabled
    assert row.disabled_reason
    assert "410" in row.disabled_reason


async def test_rotation_signs_with_both_secrets_and_redelivery_keeps_the_id(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    receiver = Receiver()
    admin = {"Authorization": f"Bearer {keys.admin}"}
    async with serve(receiver.app) as url, httpx.AsyncClient() as http:
        hook = await endpoint(client, keys, f"{url}/hook", ["order.created"])
        base = f"/v1/webhooks/{hook['id']}"
        rotated = (await client.post(f"{base}/rotate-secret", headers=admin)).json()
        dispatcher = WebhookDispatcher(
            gw.store, http, WebhookOptions(allow_private_targets=True), schedule=FAST
        )
        group = await shared_group(gw)
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
        await relay(gw, dispatcher)
        await deliver_all(dispatcher)
        [delivery] = (await client.get(f"{base}/deliveries", headers=admin)).json()["data"]
        assert delivery["state"] == "delivered"
        assert delivery["status_code"] == 200
        assert delivery["attempts"] == 1
        again = await client.post(f"{base}/deliveries/{delivery['id']}/redeliver", headers=admin)
        assert again.status_code == 202
        await deliver_all(dispatcher)
    first, second = receiver.received
    assert len(first.headers["webhook-signature"].split()) == 2
    for secret in (str(hook["secret"]), str(rotated["secret"])):
        Webhook(secret).verify(first.body, first.headers)
    assert second.headers["webhook-id"] == first.headers["webhook-id"]


async def test_private_targets_are_refused_at_delivery(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    receiver = Receiver()
    async with serve(receiver.app) as url, httpx.AsyncClient() as http:
        await endpoint(client, keys, f"{url}/hook")
        strict = WebhookDispatcher(gw.store, http, WebhookOptions(allow_private_targets=False))
        group = await shared_group(gw)
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
        await relay(gw, strict)
        assert await strict.deliver_due() > 0
    assert receiver.received == []
    counts = await gw.store.webhook_delivery_counts()
    assert counts["failed"] > 0
    assert counts["pending"] == 0


def test_backoff_grows_with_jitter_and_retry_after_wins() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    low = RetrySchedule(random=lambda: 0.0)
    high = RetrySchedule(random=lambda: 1.0)
    assert [low.delay(n) for n in (1, 2, 3)] == [2.5, 10.0, 40.0]
    assert [high.delay(n) for n in (1, 2, 3)] == [5.0, 20.0, 80.0]
    assert high.delay(30) == 36000.0
    total = sum(high.delay(n) for n in range(1, 10))
    assert timedelta(seconds=total) > timedelta(hours=20), "retries span most of a day"
    assert low.next_attempt(1, now, retry_after=120) == now + timedelta(seconds=120)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("soon", now) is None


def test_secret_sets_keep_rotated_secrets_for_a_while() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first, second = new_secret(), new_secret()
    rotated = SecretSet(first).rotate(second, now, keep_for=timedelta(hours=24))
    parsed = SecretSet.parse(rotated.dump())
    assert parsed.active(now) == [second, first]
    assert parsed.active(now + timedelta(hours=25)) == [second]
    with pytest.raises(ValueError, match="secret"):
        SecretSet.parse("  ")
