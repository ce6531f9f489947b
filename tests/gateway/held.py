"""A second gateway on the same ledger whose requests stall after claiming an idempotency key
and before recording their order.

Routing an order reads the providers' balances from the cache, between the claim and the order
row. This gateway's cache is a private redis-server with a long client timeout; stopping that
server (SIGSTOP, as a frozen or swapped-out cache host would be) holds every request there
until it is resumed (SIGCONT), while the ledger and every other gateway run on.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from gateway.cache import RedisCache
from gateway.config import Settings
from gateway.core import Gateway
from gateway.store import Store
from tests.gateway.cache_fixtures import RedisServer
from tests.gateway.panels import Trio, trio_providers

T = TypeVar("T")

_HELD_FOR = 600.0
"""The held gateway's Redis timeout: far beyond any test, so only resuming releases it."""


class _StoppableRedis(RedisServer):
    def signal(self, number: signal.Signals) -> None:
        assert self._process is not None
        os.kill(self._process.pid, number)


@dataclass
class Held:
    """The held gateway and its cache server."""

    gateway: Gateway
    server: _StoppableRedis

    def hold(self) -> None:
        """From now on, requests stall on their way from the claim to the order row."""
        self.server.signal(signal.SIGSTOP)

    def release(self) -> None:
        self.server.signal(signal.SIGCONT)


@asynccontextmanager
async def held_gateway(settings: Settings, trio: Trio, directory: Path) -> AsyncIterator[Held]:
    """A gateway on `settings`' ledger and panels, with a private cache server to stop."""
    server = _StoppableRedis(directory)
    server.start()
    try:
        store = await Store.connect(settings.gateway.database_url)
        cache = RedisCache(server.url, namespace="held", timeout=_HELD_FOR)
        gateway = Gateway(settings, store, cache, trio_providers(trio, settings))
        held = Held(gateway, server)
        try:
            yield held
        finally:
            held.release()
            await gateway.aclose()
    finally:
        server.stop()


async def eventually(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    """The first non-``None`` answer of `check`, asked until it comes (at most 30 s)."""
    deadline = asyncio.get_running_loop().time() + 30
    while (found := await check()) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)
    return found
