"""The provider interface: one small async surface for every panel.

Batch calls take any number of ids and answer per id, a result or a `ProviderError`, so one bad
id (or one failed chunk) never fails the whole batch::

    async with registry.build(config) as panel:
        statuses = await panel.status(["23501", "23502"])
        for order_id, outcome in statuses.items():
            if isinstance(outcome, ProviderError):
                ...
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Self, TypeVar

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
    to_id,
)

T = TypeVar("T")

BatchResult = dict[str, T | ProviderError]

BeforeSend = Callable[[], Awaitable[None]]
"""Awaited by `Provider.add` once the call has its turn, just before the request leaves."""

MAX_BATCH = 100
"""The most ids a v2 panel takes in one call."""


class Provider(ABC):
    """An SMM panel behind the v2 interface."""

    name: str

    @abstractmethod
    async def services(self) -> list[Service]:
        """The panel's service list."""

    @abstractmethod
    async def add(
        self, request: OrderRequest, *, before_send: BeforeSend | None = None
    ) -> PlacedOrder:
        """Place an order. Never retried: a failure after sending raises `Ambiguous`.

        Any other failure proves nothing was placed (`ProviderError.not_placed`). `before_send`
        is awaited once the call has its turn (rate limit, calls in flight), right before the
        request leaves: a caller records there that it may have been placed. If it raises,
        nothing is sent and its exception propagates unchanged.
        """

    @abstractmethod
    async def status(self, ids: Iterable[OrderId]) -> BatchResult[OrderStatus]:
        """Statuses of any number of orders."""

    @abstractmethod
    async def refill(self, ids: Iterable[OrderId]) -> BatchResult[Refill]:
        """Request refills for any number of orders."""

    @abstractmethod
    async def refill_status(self, ids: Iterable[RefillId]) -> BatchResult[RefillStatus]:
        """Statuses of any number of refills."""

    @abstractmethod
    async def cancel(self, ids: Iterable[OrderId]) -> BatchResult[CancelResult]:
        """Request cancellation of any number of orders."""

    @abstractmethod
    async def balance(self) -> Balance:
        """The account's balance."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def unique_ids(ids: Iterable[object]) -> list[str]:
    """Canonical ids, duplicates dropped, first-seen order kept."""
    return list(dict.fromkeys(to_id(i) for i in ids))


async def batched(
    ids: Iterable[object],
    call: Callable[[list[str]], Awaitable[Mapping[str, T | ProviderError]]],
    *,
    size: int = MAX_BATCH,
    concurrency: int = 4,
) -> BatchResult[T]:
    """Run `call` over chunks of at most `size` ids, at most `concurrency` at a time.

    A chunk that fails as a whole gives its error to each of its ids; an id the answer leaves
    out gets a `ProviderError` saying so. The result follows the order of `ids`.
    """
    wanted = unique_ids(ids)
    chunks = [wanted[i : i + size] for i in range(0, len(wanted), size)]
    gate = asyncio.Semaphore(concurrency)
    answers: dict[str, T | ProviderError] = {}

    async def run(chunk: list[str]) -> None:
        async with gate:
            try:
                answer = await call(chunk)
            except ProviderError as exc:
                answers.update(dict.fromkeys(chunk, exc))
                return
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                # An answer too odd to read fails its chunk, never the batch or the caller.
                error = ProviderError(f"unreadable answer ({type(exc).__name__})")
                answers.update(dict.fromkeys(chunk, error))
                return
        for order_id in chunk:
            outcome = answer.get(order_id)
            answers[order_id] = (
                ProviderError(f"the panel's answer left out id {order_id}")
                if outcome is None
                else outcome
            )

    async with asyncio.TaskGroup() as group:
        for chunk in chunks:
            group.create_task(run(chunk))
    return {i: answers[i] for i in wanted}
