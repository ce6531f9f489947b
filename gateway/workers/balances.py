"""Balance refresh: every provider's balance read on a schedule; a low balance announced once.

"Once" is per episode: ``provider.balance_low`` fires when a balance goes under its
``balance_low`` threshold and not again until it has been back above it. Whether a provider is
in an episode is kept in the shared cache, so every worker agrees; a lost Redis can at worst
repeat one announcement. A balance in another currency than the provider's configured one is
announced the same way (``provider.currency_mismatch``); routing reads it from the cached
balance and leaves the provider out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from gateway import events
from gateway.balances import BalanceBook, ProviderBalance
from gateway.cache import Cache
from gateway.currencies import CurrencyWatch
from gateway.events import Event
from gateway.store import Store
from providers.models import Money

log = logging.getLogger(__name__)

EPISODE_TTL = 30 * 24 * 3600.0
"""How long a low-balance episode is remembered without a refresh seeing it end."""


def low_balance_event(balance: ProviderBalance) -> Event:
    assert balance.balance is not None
    assert balance.fetched_at is not None
    # The reading's time tells one episode from the next.
    stamp = int(balance.fetched_at.timestamp() * 1_000_000)
    return Event(
        id=f"evt_provider_{balance.provider}_balance_low_{stamp}",
        type=events.PROVIDER_BALANCE_LOW,
        created_at=balance.fetched_at,
        data={
            "provider": balance.provider,
            "balance": f"{balance.balance.amount:f}",
            "currency": balance.balance.currency,
            "base": None if balance.base is None else f"{balance.base.amount:f}",
            "base_currency": None if balance.base is None else balance.base.currency,
        },
    )


class BalanceRefresh:
    """Reads every balance fresh (refreshing the cache routing uses) and announces low ones."""

    def __init__(
        self,
        balances: BalanceBook,
        store: Store,
        cache: Cache,
        *,
        currencies: CurrencyWatch | None = None,
    ) -> None:
        self.balances = balances
        self.store = store
        self.cache = cache
        self.currencies = currencies

    async def run(self, _partition: str | None = None) -> list[ProviderBalance]:
        result = await self.balances.fetch(fresh=True)
        # Episodes are decided by one process at a time: gateways refreshing together would
        # each find an episode unknown and announce it. One that finds another deciding
        # leaves it to that one (its reading is as fresh) and decides again next time.
        async with self.cache.only_one("workers:balance-episodes") as mine:
            if mine:
                await self._episodes(result.providers)
        return list(result.providers)

    async def _episodes(self, providers: Sequence[ProviderBalance]) -> None:
        fresh: list[Event] = []
        started: list[str] = []
        for balance in providers:
            if balance.balance is None:
                continue  # unreadable: says nothing about an episode
            key = f"workers:balance-low:{balance.provider}"
            known = await self.cache.get(key) is not None
            if balance.low and not known:
                log.warning("balance of %s is low: %s", balance.provider, balance.balance)
                fresh.append(low_balance_event(balance))
                started.append(key)
            elif not balance.low and known:
                await self.cache.delete(key)
            if self.currencies is not None:
                mismatch = await self._mismatch(self.currencies, balance, balance.balance)
                if mismatch is not None:
                    fresh.append(mismatch[0])
                    started.append(mismatch[1])
        if fresh:
            # The event first: a run that dies before marking the episode announces it again
            # next time rather than never.
            async with self.store.transaction() as tx:
                await events.record(self.store, tx, fresh)
            for key in started:
                await self.cache.set(key, b"1", EPISODE_TTL)

    async def _mismatch(
        self, watch: CurrencyWatch, balance: ProviderBalance, reading: Money
    ) -> tuple[Event, str] | None:
        """The event and episode key of a currency mismatch this balance starts, if any."""
        key = f"workers:currency-mismatch:{balance.provider}"
        known = await self.cache.get(key) is not None
        mismatch = watch.balance_mismatch(balance.provider, reading)
        if mismatch is None:
            if known:
                await self.cache.delete(key)
            return None
        if known:
            return None
        log.warning("balance of %s is in %s, configured %s", balance.provider,
                    mismatch.reported, mismatch.configured)  # fmt: skip
        at = balance.fetched_at or datetime.now(UTC)
        event = events.provider_currency_mismatch(
            balance.provider, mismatch.configured, mismatch.reported, "balance", at
        )
        return event, key
