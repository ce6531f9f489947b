"""Metrics of the calls to provider panels: each adapter wrapped in `InstrumentedProvider`
times and counts every call it makes (on `gateway.metrics.REGISTRY`, served with the rest).

::

    providers = {name: InstrumentedProvider(p, name) for name, p in providers.items()}
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram

from gateway.metrics import REGISTRY
from providers.base import BatchResult, BeforeSend, Provider
from providers.errors import ProviderError
from providers.models import (
    Balance,
    CancelResult,
    OrderId,
    OrderRequest,
    OrderStatus,
    PlacedOrder,
    Refill,
    RefillId,
    RefillStatus,
    Service,
)

T = TypeVar("T")

UPSTREAM_CALLS = Counter(
    "smmgw_upstream_calls_total", "Calls to provider panels by provider, action and outcome.",
    ["provider", "action", "outcome"], registry=REGISTRY,
)  # fmt: skip
UPSTREAM_LATENCY = Histogram(
    "smmgw_upstream_call_duration_seconds", "Latency of calls to provider panels.",
    ["provider", "action"], registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)  # fmt: skip


class _Timer:
    """Times one upstream call and counts its outcome (``ok`` or the error class); a call
    stopped before it left (`left_out`) is neither."""

    def __init__(self, provider: str, action: str) -> None:
        self.provider = provider
        self.action = action
        self.started = 0.0
        self.left_out = False

    def __enter__(self) -> _Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.left_out:
            return
        UPSTREAM_LATENCY.labels(self.provider, self.action).observe(
            time.perf_counter() - self.started
        )
        if exc_type is None:
            outcome = "ok"
        elif issubclass(exc_type, ProviderError):
            outcome = exc_type.__name__
        else:
            outcome = "error"
        UPSTREAM_CALLS.labels(self.provider, self.action, outcome).inc()


class InstrumentedProvider(Provider):
    """A provider whose every call is timed and counted; otherwise the wrapped one."""

    def __init__(self, inner: Provider, name: str) -> None:
        self.inner = inner
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def _timed(self, action: str, call: Callable[[], Awaitable[T]]) -> T:
        with _Timer(self.name, action):
            return await call()

    async def services(self) -> list[Service]:
        return await self._timed("services", self.inner.services)

    async def add(
        self, request: OrderRequest, *, before_send: BeforeSend | None = None
    ) -> PlacedOrder:
        if before_send is None:
            return await self._timed("add", lambda: self.inner.add(request))
        with _Timer(self.name, "add") as timer:

            async def leaving() -> None:
                # The gateway's own last check (an account's hold, an order overtaken): when
                # it refuses, the panel was never called.
                try:
                    await before_send()
                except BaseException:
                    timer.left_out = True
                    raise

            return await self.inner.add(request, before_send=leaving)

    async def status(self, ids: Iterable[OrderId]) -> BatchResult[OrderStatus]:
        return await self._timed("status", lambda: self.inner.status(ids))

    async def refill(self, ids: Iterable[OrderId]) -> BatchResult[Refill]:
        return await self._timed("refill", lambda: self.inner.refill(ids))

    async def refill_status(self, ids: Iterable[RefillId]) -> BatchResult[RefillStatus]:
        return await self._timed("refill_status", lambda: self.inner.refill_status(ids))

    async def cancel(self, ids: Iterable[OrderId]) -> BatchResult[CancelResult]:
        return await self._timed("cancel", lambda: self.inner.cancel(ids))

    async def balance(self) -> Balance:
        return await self._timed("balance", self.inner.balance)

    async def aclose(self) -> None:
        await self.inner.aclose()
