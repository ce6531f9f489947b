"""Control over one provider's `add` at the HTTP edge, for tests that need a precise moment.

`Switchboard` is a real httpx transport in front of the real network transport: every request
reaches the simulator over loopback unless the test has set a rule for its action: hold it until
released (the test then knows the call is in flight), or answer it with a panel's JSON without
sending it (a panel text the simulator cannot produce).

    board = Switchboard()
    async with open_switched_gateway(settings, trio, {"alpha": board}) as gw:
        board.hold("add")
        ...
        await board.arrived.wait()     # the add left the gateway
        board.release()
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import httpx
from pydantic import SecretStr

from gateway.config import Settings
from gateway.core import Gateway
from providers.base import Provider
from providers.profiles import get_profile
from providers.v2 import RetryPolicy, V2Provider
from tests.gateway.panels import Trio, trio_providers


def action_of(request: httpx.Request) -> str:
    """The v2 action of a request, whatever the encoding (form, query or JSON)."""
    fields: dict[str, Any] = dict(parse_qsl(request.url.query.decode()))
    body = request.content
    if body:
        if request.headers.get("content-type", "").startswith("application/json"):
            fields.update(json.loads(body))
        else:
            fields.update(parse_qsl(body.decode()))
    return str(fields.get("action", ""))


class Switchboard(httpx.AsyncBaseTransport):
    """Forwards every request, except those of an action the test holds or answers itself."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._held: str | None = None
        self._answers: dict[str, object] = {}
        self._gate = asyncio.Event()
        self.arrived = asyncio.Event()
        """Set when a held request has arrived (and waits)."""
        self.answered: dict[str, int] = {}
        """How many requests of each action this board answered itself."""

    def hold(self, action: str) -> None:
        self._held = action
        self._gate.clear()
        self.arrived.clear()

    def release(self) -> None:
        self._held = None
        self._gate.set()

    def answer(self, action: str, body: object) -> None:
        """Answer `action` with `body` (HTTP 200 JSON) instead of sending it."""
        self._answers[action] = body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        action = action_of(request)
        if action in self._answers:
            self.answered[action] = self.answered.get(action, 0) + 1
            return httpx.Response(200, json=self._answers[action], request=request)
        if action == self._held:
            self.arrived.set()
            await self._gate.wait()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        self._gate.set()
        await self._inner.aclose()


def switched_providers(
    trio: Trio,
    settings: Settings,
    boards: Mapping[str, Switchboard],
    *,
    deadline: float = 120.0,
    adapter: type[V2Provider] = V2Provider,
) -> dict[str, Provider]:
    """The trio's adapters, those named in `boards` talking through their board. A held call
    waits for the test, not for the adapter's deadline, so theirs is long."""
    plain = [s for s in settings.providers if s.name not in boards]
    providers = trio_providers(trio, settings.model_copy(update={"providers": plain}))
    for section in settings.providers:
        board = boards.get(section.name)
        if board is None:
            continue
        providers[section.name] = adapter(
            section.name, section.url, SecretStr(trio.sims[section.name].key or ""),
            profile=get_profile(section.profile or "seed"), currency=section.currency,
            timeout=section.timeout, deadline=deadline, retry=RetryPolicy(attempts=2),
            calls_per_minute=section.calls_per_minute, transport=board,
        )  # fmt: skip
    return providers


@asynccontextmanager
async def open_switched_gateway(
    settings: Settings,
    trio: Trio,
    boards: Mapping[str, Switchboard],
    *,
    adapter: type[V2Provider] = V2Provider,
) -> AsyncIterator[Gateway]:
    providers = switched_providers(trio, settings, boards, adapter=adapter)
    gateway = await Gateway.open(settings, providers=providers)
    try:
        yield gateway
    finally:
        await gateway.aclose()
