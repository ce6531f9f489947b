"""Guessing keys is throttled on every surface: /v1/webhooks spends the same anonymous budget per
address as /api/v2 and /graphql."""

from __future__ import annotations

from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys, LimitsSection, client_for, rest_settings, running
from tests.gateway.rest.helpers import v2


async def test_bad_keys_on_webhook_management_are_throttled(
    trio: Trio, database_url: str, redis_url: str, namespace: str, gw: Gateway, keys: Keys
) -> None:
    limits = LimitsSection(anonymous="5/minute")
    settings = rest_settings(trio, database_url, redis_url, namespace, limits=limits)
    async with running(settings, gw) as app, client_for(app) as client:
        statuses = [
            (
                await client.get("/v1/webhooks", headers={"Authorization": f"Bearer guess-{i}"})
            ).status_code
            for i in range(8)
        ]
        last = await client.get("/v1/webhooks", headers={"Authorization": "Bearer guess-x"})
        v2_answer = await v2(client, "form", key="guess-y", action="services")
        admin = await client.get("/v1/webhooks", headers={"Authorization": f"Bearer {keys.admin}"})
    assert statuses == [401] * 5 + [429] * 3
    assert last.json() == {"error": {"code": "RATE_LIMITED", "message": "rate limit exceeded"}}
    assert int(last.headers["Retry-After"]) >= 1
    assert v2_answer == {"error": "Rate limit exceeded. Max 5 requests per minute."}, (
        "one budget per address across the surfaces"
    )
    assert admin.status_code == 200, "a valid key has its own budget"
