"""The one adapter for every v2 panel.

One `httpx.AsyncClient` per provider, a client-side rate limit and a cap on calls in flight,
of which reads never take all: a share stays for writes (`providers.share`). Both are counted
in this process unless other `CallLimits` are given (`limits=`, or `use_limits` later).
Reads (`services`, `status`, `refill_status`, `balance`) are retried with jittered exponential
backoff on transient faults; writes (`add`, `refill`, `cancel`) never are: a write whose outcome
is unknown raises `Ambiguous`, and only a failure before the request left proves nothing happened.
The call itself (turns, deadline, retries, redirects refused, decoding, errors) is
`providers.v2_exchange`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

import httpx
from pydantic import SecretStr

from providers import parsing
from providers.base import BatchResult, BeforeSend, Provider, batched
from providers.errors import Ambiguous, ProviderError, Unavailable, error_from_text
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
from providers.profiles import SEED, Profile
from providers.share import WRITE_SHARE, CallLimits, LocalLimits
from providers.v2_exchange import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from providers.v2_exchange import RetryPolicy as RetryPolicy
from providers.v2_exchange import V2Exchange, panel_client

T = TypeVar("T")


class V2Provider(V2Exchange, Provider):
    """A v2 panel at `url`, spoken to according to `profile`.

    ::

        async with V2Provider("rizvi", "https://rizvismmpanels.com/api/v2", key) as panel:
            order = await panel.add(OrderRequest(service="1", link=url, quantity=1000))
    """

    def __init__(
        self,
        name: str,
        url: str | None,
        key: str | SecretStr,
        *,
        profile: Profile = SEED,
        currency: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        calls_per_minute: int | None = None,
        concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        write_share: float = WRITE_SHARE,
        limits: CallLimits | None = None,
    ) -> None:
        url = url or profile.url
        if not url:
            raise ValueError(f"provider {name!r} needs a url")
        self.name = name
        self.url = url
        self.profile = profile
        self.currency = (currency or profile.currency).upper()
        self._key = key if isinstance(key, SecretStr) else SecretStr(key)
        self._retry = retry or RetryPolicy()
        timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        # httpx bounds each read, not a whole exchange; a panel trickling bytes is cut here.
        self._deadline = deadline or 2 * max(t or 0 for t in timeout.as_dict().values())
        self._concurrency = concurrency or profile.concurrency
        self.write_share = write_share
        # Reads never take the whole gate or rate from `add`: a share stays for writes.
        self.limits: CallLimits = limits or LocalLimits(
            self._concurrency, calls_per_minute or profile.calls_per_minute, write_share=write_share
        )
        self._client = panel_client(profile, timeout, self._concurrency, transport)

    def __repr__(self) -> str:
        return f"V2Provider(name={self.name!r}, url={self.url!r}, profile={self.profile.name!r})"

    def use_limits(self, limits: CallLimits) -> None:
        """Count this provider's calls with `limits` from now on (e.g. across processes)."""
        self.limits = limits

    async def aclose(self) -> None:
        await self._client.aclose()
        await self.limits.aclose()

    # -- the calls ---------------------------------------------------------------------------

    async def services(self) -> list[Service]:
        answer = await self._read("services", {}, ())
        return parsing.parse_services(answer, self.currency)

    async def add(
        self, request: OrderRequest, *, before_send: BeforeSend | None = None
    ) -> PlacedOrder:
        left = False

        async def leaving() -> None:
            nonlocal left
            if before_send is not None:
                await before_send()
            left = True

        try:
            answer = await self._exchange(
                "add", request.fields(), ("order",), write=True, before_send=leaving
            )
        except ProviderError as exc:
            if not left or exc.not_placed or isinstance(exc, Ambiguous):
                raise
            # Only an answer known to mean "refused" proves nothing was placed; any other
            # (an unknown text, "not found", an odd 4xx) may come from a panel that placed it.
            message = f"unrecognised answer to add: {exc.message}"
            raise Ambiguous(message, provider=self.name) from None
        try:
            return parsing.parse_placed(answer)
        except ProviderError as exc:
            message = f"unreadable answer to add: {exc.message}"
            raise Ambiguous(message, provider=self.name) from None

    async def status(self, ids: Iterable[OrderId]) -> BatchResult[OrderStatus]:
        async def one(order_id: str) -> OrderStatus | ProviderError:
            answer = await self._read("status", {"order": order_id}, None)
            return parsing.parse_status(order_id, answer, self.currency)

        async def many(chunk: list[str]) -> Mapping[str, OrderStatus | ProviderError]:
            answer = await self._read("status", {"orders": ",".join(chunk)}, ())
            return parsing.parse_status_batch(chunk, answer, self.currency)

        return await self._batch(ids, one, many, self.profile.batch_status)

    async def refill(self, ids: Iterable[OrderId]) -> BatchResult[Refill]:
        async def one(order_id: str) -> Refill | ProviderError:
            answer = await self._write("refill", {"order": order_id}, None)
            return parsing.parse_refill(order_id, answer)

        async def many(chunk: list[str]) -> Mapping[str, Refill | ProviderError]:
            answer = await self._write("refill", {"orders": ",".join(chunk)}, ())
            return parsing.parse_refill_batch(chunk, answer)

        return await self._batch(ids, one, many, self.profile.batch_refill)

    async def refill_status(self, ids: Iterable[RefillId]) -> BatchResult[RefillStatus]:
        async def one(refill_id: str) -> RefillStatus | ProviderError:
            answer = await self._read("refill_status", {"refill": refill_id}, None)
            return parsing.parse_refill_status(refill_id, answer)

        async def many(chunk: list[str]) -> Mapping[str, RefillStatus | ProviderError]:
            answer = await self._read("refill_status", {"refills": ",".join(chunk)}, ())
            return parsing.parse_refill_status_batch(chunk, answer)

        return await self._batch(ids, one, many, self.profile.batch_refill_status)

    async def cancel(self, ids: Iterable[OrderId]) -> BatchResult[CancelResult]:
        async def one(order_id: str) -> CancelResult | ProviderError:
            answer = await self._write("cancel", {"order": order_id}, None)
            failure = parsing.is_failure(answer, ("cancel", "success", "canceled"))
            if failure is not None:
                return error_from_text(failure)
            return parsing.parse_cancel_batch([order_id], answer).get(order_id) or ProviderError(
                f"unexpected cancel answer: {answer!r}"
            )

        async def many(chunk: list[str]) -> Mapping[str, CancelResult | ProviderError]:
            # The seed's cancel takes `orders` even for one id.
            answer = await self._write("cancel", {"orders": ",".join(chunk)}, ())
            return parsing.parse_cancel_batch(chunk, answer)

        if self.profile.batch_cancel:
            return await self._stamped(
                batched(ids, many, size=self.profile.max_batch, concurrency=self._concurrency)
            )
        return await self._batch(ids, one, many, False)

    async def balance(self) -> Balance:
        answer = await self._read("balance", {}, ("balance",))
        try:
            return parsing.parse_balance(answer, self.currency)
        except ProviderError as exc:
            raise Unavailable(exc.message, provider=self.name) from None

    # -- batching ----------------------------------------------------------------------------

    async def _batch(
        self,
        ids: Iterable[str],
        one: Callable[[str], Awaitable[T | ProviderError]],
        many: Callable[[list[str]], Awaitable[Mapping[str, T | ProviderError]]],
        batch: bool,
    ) -> BatchResult[T]:
        """Single-id chunks use the ``order`` form, larger ones the ``orders`` form."""

        async def call(chunk: list[str]) -> Mapping[str, T | ProviderError]:
            if len(chunk) == 1:
                return {chunk[0]: await one(chunk[0])}
            return await many(chunk)

        size = self.profile.max_batch if batch else 1
        # Chunks queue on the provider's own gate; let them all be scheduled.
        return await self._stamped(batched(ids, call, size=size, concurrency=self._concurrency))

    async def _stamped(self, pending: Awaitable[BatchResult[T]]) -> BatchResult[T]:
        results = await pending
        for outcome in results.values():
            if isinstance(outcome, ProviderError) and outcome.provider is None:
                outcome.provider = self.name
        return results
