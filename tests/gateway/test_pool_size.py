"""The database pool is sized from ``[gateway] pool_size`` and ``max_overflow``."""

from __future__ import annotations

import contextlib
from typing import Any

from gateway.config import GatewaySection, Settings
from gateway.core import Gateway


async def test_the_pool_takes_its_size_from_the_configuration(
    database_url: str, redis_url: str, namespace: str
) -> None:
    section = GatewaySection(
        database_url=database_url, redis_url=redis_url, cache_namespace=namespace,
        pool_size=2, max_overflow=1,
    )  # fmt: skip
    async with await Gateway.open(Settings(gateway=section), providers={}) as gw:
        pool: Any = gw.store.engine.pool
        assert pool.size() == 2
        async with contextlib.AsyncExitStack() as held:
            for _ in range(3):
                await held.enter_async_context(gw.store.engine.connect())
            assert pool.checkedout() == 3
            assert pool.overflow() == 1, "one connection beyond the pool, and no more allowed"
            assert pool._max_overflow == 1
