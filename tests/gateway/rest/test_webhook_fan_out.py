"""Fan-out reads the enabled endpoints once per drain transaction, never longer: an endpoint
created or disabled before a later transaction is seen by that transaction's events."""

from __future__ import annotations

import httpx

from gateway.core import Gateway
from gateway.events import event_from_payload
from gateway.webhooks import WebhookDispatcher, WebhookOptions
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def _relay(gw: Gateway, dispatcher: WebhookDispatcher) -> int:
    """What the outbox drain does with a webhook sink, in one transaction; events relayed."""
    async with gw.store.transaction() as tx:
        rows = await gw.store.pending_outbox(500, tx=tx)
        for row in rows:
            await dispatcher.fan_out(event_from_payload(row.payload), tx)
        await gw.store.mark_published((r.id for r in rows), tx=tx)
    return len(rows)


async def _order(client: httpx.AsyncClient, gw: Gateway, keys: Keys, n: int) -> None:
    group = await shared_group(gw)
    answer = await v2(client, "form", key=keys.alice, action="add", **order_fields(group, n))
    assert "order" in answer, answer


async def _event_ids(gw: Gateway, endpoint_id: int) -> set[str]:
    return {d.event_id for d in await gw.store.list_webhook_deliveries(endpoint_id, limit=500)}


async def test_each_transaction_reads_the_endpoints_of_its_time(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    store = gw.store
    first = await store.create_webhook_endpoint(
        url="https://a.example.test/in", event_types=["order.created"], secret=SECRET
    )
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(gw.store, http, WebhookOptions())
        await _order(client, gw, keys, 1)
        await _order(client, gw, keys, 2)
        assert await _relay(gw, dispatcher) >= 2
        early = await _event_ids(gw, first.id)
        assert len(early) == 2, "both orders' order.created events in one transaction"

        second = await store.create_webhook_endpoint(
            url="https://b.example.test/in", event_types=["*"], secret=SECRET
        )
        await _order(client, gw, keys, 3)
        await _relay(gw, dispatcher)
        later = await _event_ids(gw, first.id) - early
        assert len(later) == 1
        assert later <= await _event_ids(gw, second.id), "the new endpoint is read again"

        await store.update_webhook_endpoint(first.id, enabled=False)
        await _order(client, gw, keys, 4)
        await _relay(gw, dispatcher)
    assert await _event_ids(gw, first.id) == early | later, "a disabled endpoint gets nothing"
    assert len(await _event_ids(gw, second.id)) > len(later)
