"""The one adapter for every v2 panel.

One `httpx.AsyncClient` per provider, a client-side rate limit and a cap on calls in flight,
of which reads never take all: a share stays for writes (`providers.share`). Both are counted
in this process unless other `CallLimits` are given (`limits=`, or `use_limits` later).
Reads (`services`, `status`, `refill_status`, `balance`) are retried with jittered exponential
backoff on transient faults; writes (`add`, `refill`, `cancel`) never are: a write whose outcome
is unknown raises `Ambiguous`, and only a failure before the request left proves nothing happened.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from providers import parsing
from providers.base import BatchResult, BeforeSend, Provider, batched
from providers.errors import (
    Ambiguous,
    AuthenticationError,
    ProviderError,
    RateLimited,
    Unavailable,
    error_from_text,
)
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
from providers.profiles import SEED, Method, Profile
from providers.share import WRITE_SHARE, CallLimits, LocalLimits

# httpx logs every request URL at INFO and GET-style panels carry the key in the URL; a library
# leaves logging levels to its application (the gateway sets httpx's in `gateway.logs`).
log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Errors raised before a byte of the request left: nothing can have happened upstream.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of idempotent reads: attempts in all, and the jittered backoff between them."""

    attempts: int = 3
    initial: float = 0.25
    maximum: float = 5.0
    max_retry_after: float = 30.0
    """A panel's ``Retry-After`` is honoured up to this many seconds."""


class V2Provider(Provider):
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
        self._client = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": profile.user_agent, "Accept": "application/json"},
            limits=httpx.Limits(max_connections=self._concurrency * 2),
            # Never followed: a 307/308 would post the key (and an order) to another host.
            follow_redirects=False,
        )

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

    # -- one exchange ------------------------------------------------------------------------

    async def _read(
        self, action: str, fields: dict[str, str], success_keys: tuple[str, ...] | None
    ) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=self._wait,
            retry=retry_if_exception_type((Unavailable, RateLimited)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._exchange(action, fields, success_keys, write=False)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _write(
        self, action: str, fields: dict[str, str], success_keys: tuple[str, ...] | None
    ) -> Any:
        return await self._exchange(action, fields, success_keys, write=True)

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self._retry.initial, max=self._retry.maximum)
        delay = backoff(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after:
            delay = max(delay, min(error.retry_after, self._retry.max_retry_after))
        return delay

    async def _exchange(
        self,
        action: str,
        fields: dict[str, str],
        success_keys: tuple[str, ...] | None,
        *,
        write: bool,
        before_send: BeforeSend | None = None,
    ) -> Any:
        """One call: send, read, and translate every failure into the error tree.

        `success_keys` names the keys of a good answer; an ``{"error": ...}`` object without
        them is a failure of the whole call. ``None`` leaves per-item errors to the parser,
        except the call-level ones (key, throttling, panel fault).
        """
        params = {"key": self._key.get_secret_value(), "action": action, **fields}
        # Waiting for a turn (calls in flight, rate limit) is bounded too; a call that gave up
        # waiting never left, so nothing can have happened upstream.
        turn = self.limits.turn(
            write=write, deadline=self._deadline, too_long=self._queued_too_long
        )
        async with turn:
            if before_send is not None:
                await before_send()
            log.debug("%s: %s %s", self.name, action, sorted(fields))
            try:
                async with asyncio.timeout(self._deadline):
                    response = await self._send(params)
            except _NOT_SENT as exc:
                raise Unavailable(
                    f"could not reach the panel ({type(exc).__name__})",
                    provider=self.name,
                    not_placed=True,
                ) from None
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise self._fault(write, f"timed out ({type(exc).__name__})") from None
            except httpx.HTTPError as exc:
                raise self._fault(write, f"connection failed ({type(exc).__name__})") from None
        answer = self._decode(response, write)
        failure = parsing.is_failure(answer, success_keys or ())
        if failure is not None:
            error = error_from_text(failure, provider=self.name)
            call_level = isinstance(error, AuthenticationError | RateLimited | Unavailable)
            if success_keys is not None or call_level:
                if write and isinstance(error, Unavailable):
                    raise Ambiguous(f"panel fault after the request: {failure}", provider=self.name)
                raise error
        return answer

    async def _send(self, params: dict[str, str]) -> httpx.Response:
        if self.profile.method is Method.GET_QUERY:
            return await self._client.get(self.url, params=params)
        if self.profile.method is Method.POST_JSON:
            return await self._client.post(self.url, json=params)
        return await self._client.post(self.url, data=params)

    def _queued_too_long(self) -> Unavailable:
        message = f"waited over {self._deadline:g}s for a turn to call the panel"
        return Unavailable(message, provider=self.name, not_placed=True)

    def _fault(self, write: bool, what: str) -> ProviderError:
        if write:
            return Ambiguous(f"outcome unknown: {what}", provider=self.name)
        return Unavailable(what, provider=self.name)

    def _decode(self, response: httpx.Response, write: bool) -> Any:
        code = response.status_code
        if 300 <= code < 400:
            # Redirects are not followed (they would carry the key elsewhere). A v2 panel
            # answers every call, its refusals included, at its own URL: a redirect comes from
            # a server in front of it that did not hand the call on, so nothing was done. The
            # Location is not quoted: a GET-style call's own query, key included, may be in it.
            raise self._redirected(code)
        try:
            answer = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            answer = None
        text = parsing.error_text(answer) if isinstance(answer, dict) else None
        if code == 429:
            raise RateLimited(
                text or "rate limited (HTTP 429)",
                provider=self.name,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if code in (401, 403):
            raise AuthenticationError(text or f"HTTP {code}", provider=self.name)
        if code >= 500:
            raise self._fault(write, f"HTTP {code}")
        if answer is None:
            body = response.content.lstrip()[:1]
            shape = "an HTML page" if body == b"<" else "malformed JSON"
            raise self._fault(write, f"HTTP {code}: {shape} instead of JSON")
        if code >= 400:
            error = error_from_text(text or f"HTTP {code}", provider=self.name)
            if write and type(error) is ProviderError:
                # An error status the panel's texts do not explain says nothing of the write.
                raise Ambiguous(
                    f"outcome unknown: HTTP {code}: {error.message}", provider=self.name
                )
            raise error
        return answer

    def _redirected(self, code: int) -> Unavailable:
        return Unavailable(
            f"the panel's URL answered HTTP {code}, a redirect (not followed): "
            "check the provider's url",
            provider=self.name,
            not_placed=True,
        )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
