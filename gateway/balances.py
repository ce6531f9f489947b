"""Provider balances: fetched concurrently, converted to the base currency, totalled, cached.

The total takes about as long as the slowest provider, not the sum. A provider that fails shows
its error and counts for nothing in the total; routing uses only balances already known, so
placing an order never waits for a balance call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel

from gateway.cache import Cache
from gateway.config import ConfigError
from providers.base import Provider
from providers.errors import ProviderError
from providers.models import Balance, Money

log = logging.getLogger(__name__)


class _Cached(BaseModel):
    balance: Balance
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class ProviderBalance:
    """One provider's balance, in its own currency and in the base currency."""

    provider: str
    balance: Money | None
    base: Money | None
    fetched_at: datetime | None
    error: str | None = None
    low: bool = False


@dataclass(frozen=True, slots=True)
class Balances:
    providers: tuple[ProviderBalance, ...]
    total: Money
    """Sum of the balances that could be read, in the base currency."""


class BalanceBook:
    """Reads and caches provider balances."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        cache: Cache,
        *,
        base_currency: str,
        to_base: Callable[[str], Decimal],
        low_thresholds: Mapping[str, Decimal | None] | None = None,
        ttl: float = 60.0,
        timeout: float = 15.0,
    ) -> None:
        self.providers = providers
        self.cache = cache
        self.base_currency = base_currency.upper()
        self._to_base = to_base
        self._low = dict(low_thresholds or {})
        self._ttl = ttl
        self._timeout = timeout

    async def fetch(self, *, fresh: bool = False) -> Balances:
        """Every provider's balance; `fresh` skips the cache."""
        results = await asyncio.gather(*(self._one(name, fresh) for name in self.providers))
        amounts = [r.base.amount for r in results if r.base is not None]
        total = Money(amount=sum(amounts, Decimal(0)), currency=self.base_currency)
        return Balances(tuple(results), total)

    async def known(self) -> dict[str, Money]:
        """Balances in the cache right now, without calling any provider."""
        names = list(self.providers)
        keys = [f"balance:{name}" for name in names]
        found = {}
        for name, cached in zip(
            names, await self.cache.get_many_models(keys, _Cached), strict=True
        ):
            if cached is not None:
                found[name] = Money(amount=cached.balance.amount, currency=cached.balance.currency)
        return found

    async def _one(self, name: str, fresh: bool) -> ProviderBalance:
        key = f"balance:{name}"

        async def read() -> _Cached:
            async with asyncio.timeout(self._timeout):
                balance = await self.providers[name].balance()
            return _Cached(balance=balance, fetched_at=datetime.now(UTC))

        try:
            if fresh:
                cached = await read()
                await self.cache.set_model(key, cached, self._ttl)
            else:
                cached = await self.cache.get_or_compute_model(key, _Cached, read, ttl=self._ttl)
        except (ProviderError, TimeoutError) as exc:
            message = str(exc) or f"no answer within {self._timeout:g}s"
            log.warning("balance of %s: %s", name, message)
            return ProviderBalance(name, None, None, None, error=message)
        balance = Money(amount=cached.balance.amount, currency=cached.balance.currency)
        try:
            rate = self._to_base(balance.currency)
        except ConfigError as exc:
            # A panel paying in a currency the configuration has no rate for: shown, not summed.
            return ProviderBalance(name, balance, None, cached.fetched_at, error=str(exc))
        base = Money(amount=balance.amount * rate, currency=self.base_currency)
        threshold = self._low.get(name)
        low = threshold is not None and balance.amount < threshold
        return ProviderBalance(name, balance, base, cached.fetched_at, low=low)
