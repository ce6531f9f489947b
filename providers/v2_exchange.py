"""One call to a v2 panel, and everything that can go wrong with it.

`V2Exchange` sends one action with the panel's key, the way the provider's profile says
(query, form or JSON), within a turn of its `CallLimits` and a deadline for the whole exchange.
Redirects are refused, the answer is decoded, and every failure is translated into the error
tree of `providers.errors`. Reads are retried with jittered exponential backoff on transient
faults (`RetryPolicy`, a panel's ``Retry-After`` honoured up to a bound); writes never are:
a write whose outcome is unknown raises `Ambiguous`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
from providers.base import BeforeSend
from providers.errors import (
    Ambiguous,
    AuthenticationError,
    ProviderError,
    RateLimited,
    Unavailable,
    error_from_text,
)
from providers.profiles import Method, Profile
from providers.share import CallLimits

# httpx logs every request URL at INFO and GET-style panels carry the key in the URL; a library
# leaves logging levels to its application (the gateway sets httpx's in `gateway.logs`).
# The exchange logs as the adapter it belongs to.
log = logging.getLogger("providers.v2")

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


def panel_client(
    profile: Profile,
    timeout: httpx.Timeout,
    concurrency: int,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    """The HTTP client of one provider: `concurrency` calls in flight, redirects refused."""
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        headers={"User-Agent": profile.user_agent, "Accept": "application/json"},
        limits=httpx.Limits(max_connections=concurrency * 2),
        # Never followed: a 307/308 would post the key (and an order) to another host.
        follow_redirects=False,
    )


class V2Exchange:
    """One call to the panel at `url`, for an adapter that sets the attributes below.

    `_key` is only ever put in the request; no error, log line or repr carries it.
    """

    name: str
    url: str
    profile: Profile
    limits: CallLimits
    _key: SecretStr
    _retry: RetryPolicy
    _deadline: float
    _client: httpx.AsyncClient

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
