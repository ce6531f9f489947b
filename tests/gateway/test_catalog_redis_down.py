"""With Redis down, the catalog's version holds still: no rebuild on every check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from gateway.catalog_sync import Catalog
from gateway.core import Gateway
from tests.gateway.cache_fixtures import RedisServer
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


def checked_every_time(gw: Gateway) -> Catalog:
    """The gateway's catalog, but checking the shared version on every read."""
    return Catalog(
        gw.providers, gw.store, gw.cache, base_currency=gw.base_currency,
        to_base=gw.settings.rate_to_base, version_check=0.0,
    )  # fmt: skip


async def test_reads_with_redis_down_keep_one_version_and_one_snapshot(
    trio: Trio, database_url: str, namespace: str, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings = trio_settings(trio, database_url, server.url, namespace)
        async with open_gateway(settings, trio) as gw:
            catalog = checked_every_time(gw)
            await catalog.sync()
            up = await catalog.snapshot()
            assert catalog.version is not None
            server.stop()

            first = await catalog.snapshot()
            version = catalog.version
            second = await catalog.snapshot()
            third = await catalog.snapshot()
            assert catalog.version == version
            assert first is second is third, "no rebuild while nothing changed"
            assert first.groups.keys() == up.groups.keys()
            calls = trio.calls("services")

            # What this process fetches itself is served at once, Redis or not.
            await catalog.sync(["alpha"])
            assert trio.calls("services")["alpha"] == calls["alpha"] + 1
            rebuilt = await catalog.snapshot()
            assert rebuilt is not first
            assert catalog.version != version
            assert await catalog.snapshot() is rebuilt
    finally:
        server.stop()


async def test_a_gateway_started_with_redis_down_builds_once(
    trio: Trio, database_url: str, namespace: str
) -> None:
    unreachable = f"redis://127.0.0.1:{RedisServer.free_port()}/0"
    settings = trio_settings(trio, database_url, unreachable, namespace)
    async with open_gateway(settings, trio) as gw:
        catalog = checked_every_time(gw)
        await catalog.sync()
        calls = trio.calls("services")
        snapshots, versions = [], []
        for _ in range(5):
            snapshots.append(await catalog.snapshot())
            versions.append(catalog.version)
        assert all(s is snapshots[0] for s in snapshots)
        assert versions[0] is not None
        assert versions == versions[:1] * 5
        assert trio.calls("services") == calls, "no panel asked again"
