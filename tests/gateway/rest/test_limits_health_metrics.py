"""Per-key rate limits shared through Redis, answered in the v2 shape; health, readiness and
Prometheus metrics."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.core import Gateway
from gateway.upstream_metrics import InstrumentedProvider
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import (
    METRICS_TOKEN_ENV,
    Keys,
    LimitsSection,
    client_for,
    rest_settings,
    running,
)
from tests.gateway.rest.helpers import order_fields, shared_group, v2

METRICS_TOKEN = "scraper-token-for-tests"


async def test_per_key_limits_are_shared_by_every_instance(
    trio: Trio, database_url: str, redis_url: str, namespace: str, gw: Gateway, keys: Keys
) -> None:
    limits = LimitsSection(per_key="5/minute", anonymous="3/minute", keys={"bob": "8/minute"})
    settings = rest_settings(trio, database_url, redis_url, namespace, limits=limits)
    async with (
        running(settings, gw) as one,
        running(settings, gw) as two,
        client_for(one) as first,
        client_for(two) as second,
    ):
        clients = [first, second]
        answers = [
            await v2(clients[i % 2], "form", key=keys.alice, action="balance") for i in range(6)
        ]
        refused = await clients[0].post("/api/v2", data={"key": keys.alice, "action": "balance"})
        bob = [await v2(clients[i % 2], "query", key=keys.bob, action="balance") for i in range(8)]
        anonymous = [
            await v2(clients[i % 2], "form", key="nope", action="balance") for i in range(4)
        ]
    client_balance = {"error": "Balance is not available for this API key"}
    assert answers[:5] == [client_balance] * 5
    assert answers[5] == {"error": "Rate limit exceeded. Max 5 requests per minute."}
    assert refused.status_code == 200
    assert int(refused.headers["Retry-After"]) >= 1
    assert bob == [client_balance] * 8, "a named key has its own limit"
    assert anonymous[:3] == [{"error": "Invalid API key"}] * 3
    assert anonymous[3] == {"error": "Rate limit exceeded. Max 3 requests per minute."}


async def test_limits_hold_without_redis(
    trio: Trio, database_url: str, namespace: str, gw: Gateway, keys: Keys
) -> None:
    settings = rest_settings(
        trio, database_url, None, namespace, limits=LimitsSection(per_key="2/minute")
    )
    async with running(settings, gw) as app, client_for(app) as client:
        answers = [await v2(client, "form", key=keys.alice, action="balance") for _ in "abc"]
    assert answers[2] == {"error": "Rate limit exceeded. Max 2 requests per minute."}


async def test_management_bodies_are_bounded(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1/x", "event_types": ["*"], "description": "x" * (1 << 20)},
        headers={"Authorization": f"Bearer {keys.admin}"},
    )
    assert response.status_code == 413


async def test_health_and_readiness(client: httpx.AsyncClient, trio: Trio) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready", "checks": {"store": "ok", "cache": "ok", "providers": "ok"}
    }  # fmt: skip


async def test_not_ready_when_no_provider_answers(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    for sim in trio.sims.values():
        sim.stop()
    await gw.cache.delete(*(f"balance:{name}" for name in gw.providers))
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["providers"] == "no provider answers"
    assert ready.json()["checks"]["store"] == "ok"


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


async def test_metrics_expose_requests_orders_circuits_and_upstream_calls(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(METRICS_TOKEN_ENV, METRICS_TOKEN)
    group = await shared_group(gw)
    await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    wrapped = InstrumentedProvider(gw.providers["alpha"], "alpha")
    await wrapped.balance()
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    requests = found["smmgw_http_requests_total"]
    assert any(labels["route"] == "/api/v2" and value >= 1 for labels, value in requests)
    assert ({"state": "PENDING"}, 1.0) in found["smmgw_orders"]
    circuits = found["smmgw_provider_circuit_state"]
    assert ({"provider": "alpha", "state": "CLOSED"}, 1.0) in circuits
    upstream = found["smmgw_upstream_calls_total"]
    assert any(
        labels == {"provider": "alpha", "action": "balance", "outcome": "ok"}
        for labels, _ in upstream
    )
    assert "smmgw_upstream_call_duration_seconds_bucket" in found
    assert "smmgw_webhook_deliveries" in found
