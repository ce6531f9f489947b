"""``/v1/webhooks``: endpoint management through the real app (admin scope)."""

from __future__ import annotations

import httpx
import pytest

from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys, WebhooksSection, client_for, rest_settings, running

TARGET = "http://127.0.0.1:9/hook"


def admin(keys: Keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.admin}"}


async def test_create_shows_the_secret_once(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(
        "/v1/webhooks",
        json={"url": TARGET, "event_types": ["order.completed", "order.created"],
              "description": "shop"},
        headers=admin(keys),
    )  # fmt: skip
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["enabled"] is True
    assert created["event_types"] == ["order.completed", "order.created"]
    listed = (await client.get("/v1/webhooks", headers=admin(keys))).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    one = (await client.get(f"/v1/webhooks/{created['id']}", headers=admin(keys))).json()
    assert "secret" not in one
    assert created["secret"] not in str(one)


async def test_update_disable_enable_delete(client: httpx.AsyncClient, keys: Keys) -> None:
    created = (
        await client.post(
            "/v1/webhooks", json={"url": TARGET, "event_types": ["*"]}, headers=admin(keys)
        )
    ).json()
    base = f"/v1/webhooks/{created['id']}"
    patched = await client.patch(
        base, json={"description": "new", "event_types": ["refill.updated"]}, headers=admin(keys)
    )
    assert patched.json()["description"] == "new"
    assert patched.json()["event_types"] == ["refill.updated"]
    disabled = (await client.post(f"{base}/disable", headers=admin(keys))).json()
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"]
    enabled = (await client.post(f"{base}/enable", headers=admin(keys))).json()
    assert enabled["enabled"] is True
    assert enabled["disabled_reason"] is None
    rotated = (await client.post(f"{base}/rotate-secret", headers=admin(keys))).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert (await client.get(f"{base}/deliveries", headers=admin(keys))).json() == {"data": []}
    for before in ("99999999999999999999", "-5", " 5", "x"):
        refused = await client.get(f"{base}/deliveries?before={before}", headers=admin(keys))
        assert refused.status_code == 422, before
        assert refused.json()["error"] == {
            "code": "INVALID",
            "message": "before must be a delivery id",
        }
    newest = await client.get(f"{base}/deliveries?before=999999999999999999", headers=admin(keys))
    assert newest.json() == {"data": []}
    assert (await client.delete(base, headers=admin(keys))).status_code == 204
    assert (await client.get(base, headers=admin(keys))).status_code == 404
    assert (await client.delete(base, headers=admin(keys))).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/x", "event_types": ["*"]},
        {"url": TARGET, "event_types": []},
        {"url": TARGET, "event_types": ["order.exploded"]},
        {"url": "http://user:pw@127.0.0.1/hook", "event_types": ["*"]},
        {"url": 12, "event_types": ["*"]},
        {"event_types": ["*"]},
        {"url": TARGET, "event_types": ["*"], "description": "x" * 501},
    ],
)
async def test_invalid_endpoints_are_refused(
    client: httpx.AsyncClient, keys: Keys, body: dict[str, object]
) -> None:
    response = await client.post("/v1/webhooks", json=body, headers=admin(keys))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID"


async def test_management_needs_the_admin_scope(client: httpx.AsyncClient, keys: Keys) -> None:
    assert (await client.get("/v1/webhooks")).status_code == 401
    forbidden = await client.get("/v1/webhooks", headers={"Authorization": f"Bearer {keys.alice}"})
    assert forbidden.status_code == 403
    assert (await client.get("/v1/webhooks/abc", headers=admin(keys))).status_code == 404
    garbage = await client.post(
        "/v1/webhooks",
        content=b"{oops",
        headers={**admin(keys), "Content-Type": "application/json"},
    )
    assert garbage.status_code == 422


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
     "http://[::1]/hook", "http://169.254.169.254/latest", "http://192.168.0.10/"],
)  # fmt: skip
async def test_private_targets_are_refused_unless_allowed(
    trio: Trio, database_url: str, namespace: str, gw: Gateway, keys: Keys, url: str
) -> None:
    strict: Settings = rest_settings(
        trio, database_url, None, namespace, webhooks=WebhooksSection(allow_private_targets=False)
    )
    async with running(strict, gw) as app, client_for(app) as client:
        response = await client.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin(keys)
        )
    assert response.status_code == 422
    assert "private" in response.json()["error"]["message"] or "resolve" in response.text
