"""Provider health: a circuit breaker per provider.

After `threshold` consecutive failures a provider is *open* (skipped by routing) for `cooldown`
seconds; then it is *half-open*: one call is let through as a probe, and its outcome closes the
breaker or opens it again for a longer cooldown (doubling up to `max_cooldown`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@dataclass(slots=True)
class _Breaker:
    failures: int = 0
    opened_at: float | None = None
    cooldown: float = 0.0
    probing: bool = False
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """What the APIs show of a provider's health."""

    provider: str
    state: BreakerState
    consecutive_failures: int
    cooldown_remaining: float
    last_error: str | None


class HealthBoard:
    """The breakers of every provider, in this process.

    ::

        if board.available("rizvi"):
            try:
                ...
            except Unavailable as exc:
                board.failure("rizvi", str(exc))
            else:
                board.success("rizvi")
    """

    def __init__(
        self,
        *,
        threshold: int = 3,
        cooldown: float = 30.0,
        max_cooldown: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.base_cooldown = cooldown
        self.max_cooldown = max_cooldown
        self._clock = clock
        self._breakers: dict[str, _Breaker] = {}

    def _get(self, provider: str) -> _Breaker:
        return self._breakers.setdefault(provider, _Breaker())

    def state(self, provider: str) -> BreakerState:
        breaker = self._get(provider)
        if breaker.opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - breaker.opened_at < breaker.cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def available(self, provider: str) -> bool:
        """Whether routing may use `provider` now (closed, or half-open with no probe out)."""
        state = self.state(provider)
        if state is BreakerState.CLOSED:
            return True
        return state is BreakerState.HALF_OPEN and not self._get(provider).probing

    def acquire(self, provider: str) -> bool:
        """Take the right to call: always when closed, once (the probe) when half-open."""
        if not self.available(provider):
            return False
        if self.state(provider) is BreakerState.HALF_OPEN:
            self._get(provider).probing = True
        return True

    def release(self, provider: str) -> None:
        """A call that ended without an outcome (cancelled): let the next probe through."""
        self._get(provider).probing = False

    def success(self, provider: str) -> None:
        self._breakers[provider] = _Breaker()

    def failure(self, provider: str, error: str) -> bool:
        """Count a failure; True when it opened the breaker (the provider just went unhealthy)."""
        breaker = self._get(provider)
        breaker.failures += 1
        breaker.last_error = error
        was_probe = breaker.probing
        breaker.probing = False
        if was_probe:
            breaker.cooldown = min(breaker.cooldown * 2, self.max_cooldown)
            breaker.opened_at = self._clock()
            return True
        if breaker.failures >= self.threshold and breaker.opened_at is None:
            breaker.cooldown = self.base_cooldown
            breaker.opened_at = self._clock()
            return True
        return False

    def report(self, provider: str) -> ProviderHealth:
        breaker = self._get(provider)
        remaining = 0.0
        if breaker.opened_at is not None:
            remaining = max(0.0, breaker.opened_at + breaker.cooldown - self._clock())
        return ProviderHealth(
            provider=provider,
            state=self.state(provider),
            consecutive_failures=breaker.failures,
            cooldown_remaining=remaining,
            last_error=breaker.last_error,
        )
