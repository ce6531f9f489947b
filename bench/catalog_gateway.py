"""A gateway over simulated panels with a big merged catalog, and serving an app on loopback:
what the GraphQL, edge and stall benchmarks (`bench.graphql`, `bench.edges`, `bench.stall`)
measure.

::

    with ExitStack() as stack:
        sims = panels(stack, count=4, services=5000)
        settings = settings_for(sims, "sqlite+aiosqlite:///bench.db", await redis_url())
        gw = await Gateway.open(settings, providers=providers_for(sims, settings))
        async with served(create_app(settings, gateway=gw)) as url:
            ...

Redis is used when ``SMMGW_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack

import redis.asyncio as aioredis
import uvicorn
from pydantic import SecretStr
from redis.exceptions import RedisError
from starlette.applications import Starlette

from gateway.config import ApiSection, GatewaySection, LimitsSection, ProviderSection, Settings
from providers.base import Provider
from providers.registry import ProviderConfig, build
from providers.simulator import SimulatorServer, simulator

QUERY = """
query Page($first: Int!, $after: String) {
  services(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name platform metric type refill refillKind refillDays cancel dripFeed min max geo
      providerCount rate { amount currency }
    } }
  }
}
"""
PROFILES = ("seed", "sloppy", "json", "seed")
PAGE = 100


async def redis_url() -> str | None:
    url = os.environ.get("SMMGW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = aioredis.Redis.from_url(url)
    try:
        await client.ping()
    except (RedisError, OSError):
        return None
    finally:
        await client.aclose()
    return url


def panels(stack: ExitStack, count: int, services: int) -> dict[str, SimulatorServer]:
    return {
        f"panel{i}": stack.enter_context(
            simulator(seed=100 + i, services=services, profile=PROFILES[i % len(PROFILES)])
        )
        for i in range(count)
    }


def settings_for(sims: dict[str, SimulatorServer], database: str, redis: str | None) -> Settings:
    return Settings(
        gateway=GatewaySection(
            database_url=database, redis_url=redis, cache_namespace=f"bench-{uuid.uuid4().hex[:8]}"
        ),
        providers=[
            ProviderSection(
                name=name, kind="simulator", url=sim.url, key_env=f"{name.upper()}_KEY",
                profile=sim.profile.name, calls_per_minute=1_000_000, timeout=60,
            )
            for name, sim in sims.items()
        ],
        # The benchmark measures serving, not the per-key limits it would otherwise hit.
        limits=LimitsSection(per_key="100000000/minute"),
        api=ApiSection(graphql_cost_budget="1000000000/minute"),
    )  # fmt: skip


def providers_for(sims: dict[str, SimulatorServer], settings: Settings) -> dict[str, Provider]:
    return {
        s.name: build(
            ProviderConfig(
                name=s.name, kind=s.kind, url=s.url, key=SecretStr(sims[s.name].key or ""),
                profile=s.profile, timeout=s.timeout, calls_per_minute=s.calls_per_minute,
            )
        )
        for s in settings.providers
    }  # fmt: skip


@contextlib.asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
    finally:
        server.should_exit = True
        await task
        sock.close()
