"""With Redis gone a gateway still serves, so it stays ready: the cache is reported degraded."""

from __future__ import annotations

from pathlib import Path

from tests.gateway.cache_fixtures import RedisServer
from tests.gateway.panels import Trio, open_gateway, shared_group
from tests.gateway.rest.conftest import client_for, rest_settings, running
from tests.gateway.rest.helpers import order_fields, v2


async def test_readiness_stays_green_without_redis_while_serving(
    trio: Trio, database_url: str, namespace: str, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings = rest_settings(trio, database_url, server.url, namespace)
        async with (
            open_gateway(settings, trio) as gw,
            running(settings, gw) as app,
            client_for(app) as client,
        ):
            _, key = await gw.store.create_api_key("alice", "alice", ["order"])
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"]["cache"] == "ok"

            server.stop()
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            body = ready.json()
            assert body["status"] == "ready"
            assert body["degraded"] == ["cache"]
            assert body["checks"]["cache"].startswith("degraded: ")
            assert body["checks"]["store"] == "ok"
            assert body["checks"]["providers"] == "ok"
            # And it does serve: the catalog, and an order placed through a panel.
            services = await v2(client, "form", key=key, action="services")
            assert isinstance(services, list)
            assert services
            group = await shared_group(gw)
            placed = await v2(client, "form", key=key, action="add", **order_fields(group))
            assert "order" in placed, placed
    finally:
        server.stop()
