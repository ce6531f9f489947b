"""Providers whose panel reports money in another currency than configured: kept out of routing.

A panel configured in USD that reports its balance or a status charge in EUR has its rates read
in the wrong currency, so its quotes, balance checks and charges are all off. Routing leaves it
out ("currency mismatch") until the panel and the configuration agree again.

Both readings are shared through the cache, so every instance agrees: the balance refresh caches
each balance with its currency (`BalanceBook.known`), and the status sync records a mismatched
status currency under ``currency:status:{provider}``. A lost cache forgets a status mismatch until
the next status reports it again. Whether statuses start an episode is decided by one process at
a time (`deciding`), so a fleet polling the same provider at once announces it once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from gateway.cache import Cache
from providers.models import Money

STATUS_TTL = 7 * 24 * 3600.0
"""How long a mismatched status currency is remembered without a status confirming it."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """`provider` reported money in `reported`, configured in `configured`; seen in `source`."""

    provider: str
    configured: str
    reported: str
    source: str
    """``"balance"`` or ``"status"``."""

    @property
    def detail(self) -> str:
        return f"{self.source} in {self.reported}, configured {self.configured}"


class CurrencyWatch:
    """What each provider reports its money in, against its configured currency.

    ::

        watch = CurrencyWatch(cache, {"alpha": "USD", "gamma": "EUR"})
        async with watch.deciding("gamma") as mine:  # False: another process is deciding
            started = await watch.new_status_mismatch("gamma", "USD")  # a Mismatch: announce it
            await watch.record_status("gamma", "USD")
        await watch.mismatches(await balances.known())  # {"gamma": Mismatch(...)}
    """

    def __init__(self, cache: Cache, configured: Mapping[str, str]) -> None:
        self.cache = cache
        self.configured = {name: currency.upper() for name, currency in configured.items()}

    @staticmethod
    def _key(provider: str) -> str:
        return f"currency:status:{provider}"

    def balance_mismatch(self, provider: str, balance: Money) -> Mismatch | None:
        """The mismatch `balance` shows, if any."""
        configured = self.configured.get(provider)
        if configured is None or balance.currency.upper() == configured:
            return None
        return Mismatch(provider, configured, balance.currency.upper(), "balance")

    @asynccontextmanager
    async def deciding(self, provider: str) -> AsyncIterator[bool]:
        """Whether this process decides `provider`'s status episode now: True for one process
        sharing the cache at a time, until the block ends (at most the cache's lock ttl).

        Check `new_status_mismatch`, announce it, then `record_status`, all in the block: two
        processes reading the episode as unknown at once would each announce it. One that gets
        False leaves the episode alone (neither announced nor recorded) and decides next time;
        one that dies in the block leaves it unrecorded, so the next status announces it.
        """
        async with self.cache.only_one(f"currency:status-episode:{provider}") as mine:
            yield mine

    def mismatched(self, provider: str, reported: str) -> bool:
        """Whether `reported` is another currency than `provider` is configured in."""
        configured = self.configured.get(provider)
        return configured is not None and reported.upper() != configured

    async def new_status_mismatch(self, provider: str, reported: str) -> Mismatch | None:
        """The mismatch a status charge in `reported` starts, if it starts one (not recorded yet).

        Under `deciding`, announce it, then `record_status`: a process that dies in between
        announces it again rather than never.
        """
        if not self.mismatched(provider, reported):
            return None
        reported = reported.upper()
        if await self.cache.get(self._key(provider)) == reported.encode():
            return None
        return Mismatch(provider, self.configured[provider], reported, "status")

    async def record_status(self, provider: str, reported: str) -> None:
        """Remember the currency statuses of `provider` came in: a mismatch, or the end of one."""
        configured = self.configured.get(provider)
        if configured is None:
            return
        if reported.upper() == configured:
            await self.cache.delete(self._key(provider))
        else:
            # Written on every mismatched batch: the episode lasts while statuses show it.
            await self.cache.set(self._key(provider), reported.upper().encode(), STATUS_TTL)

    async def mismatches(self, balances: Mapping[str, Money]) -> dict[str, Mismatch]:
        """Every provider reporting another currency now, by its cached balance or statuses."""
        found: dict[str, Mismatch] = {}
        for name in self.configured:
            balance = balances.get(name)
            mismatch = None if balance is None else self.balance_mismatch(name, balance)
            if mismatch is not None:
                found[name] = mismatch
        # The rest by what their statuses reported, asked of the cache together.
        rest = [name for name in self.configured if name not in found]
        reported = await self.cache.get_many([self._key(name) for name in rest])
        for name, currency in zip(rest, reported, strict=True):
            if currency is not None:
                found[name] = Mismatch(name, self.configured[name], currency.decode(), "status")
        return found
