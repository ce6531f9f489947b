"""A panel's accounts: API keys and their balances in the panel currency, how often a key may
call, and how many calls of each action were made. `Panel` (`state`) is built on them.

>>> accounts = PanelAccounts(balance=Decimal(5))
>>> accounts.set_account("k").balance
Decimal('5')
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from .call_windows import CallWindows
from .clock import Clock, ScaledClock
from .problems import PanelError, Problem

DEFAULT_BALANCE = Decimal(1000)


@dataclass(slots=True)
class Account:
    """An API key and its balance in the panel currency."""

    key: str
    balance: Decimal


class PanelAccounts:
    """The accounts of a panel, thread-safe under its lock (`_lock`).

    A balance read first settles what has come due (`_settle`: the panel refunds the orders
    that ended since).
    """

    def __init__(
        self,
        *,
        balance: Decimal = DEFAULT_BALANCE,
        rate_limit: int | None = None,
        rate_clock: Clock | None = None,
    ) -> None:
        self.default_balance = Decimal(balance)
        self.rate_limit = rate_limit
        """Calls a minute a key may make; ``None`` for no limit."""
        # Rate limits are felt in real seconds even when simulated time runs faster.
        self.rate_clock: Clock = rate_clock or ScaledClock()
        self.calls: Counter[str] = Counter()
        """Calls per action, for tests that assert "add was called exactly once"."""
        self._accounts: dict[str, Account] = {}
        self._windows = CallWindows()
        self._lock = threading.RLock()

    def set_account(self, key: str, balance: Decimal | None = None) -> Account:
        """Create the account for `key`, or set its balance."""
        with self._lock:
            account = self._accounts.get(key)
            amount = self.default_balance if balance is None else Decimal(balance)
            if account is None:
                account = self._accounts[key] = Account(key, amount)
            elif balance is not None:
                account.balance = amount
            return account

    def account(self, key: str) -> Account:
        """The account of `key`, or `PanelError(BAD_KEY)`."""
        with self._lock:
            account = self._accounts.get(key)
            if account is None:
                raise PanelError(Problem.BAD_KEY)
            return account

    def balance(self, key: str) -> Decimal:
        """The balance of `key`, refunds of orders that ended since included."""
        with self._lock:
            self._settle()
            return self.account(key).balance

    def check_rate(self, key: str) -> None:
        """Count one call of `key`; raise RATE_LIMITED past `rate_limit` calls a minute."""
        if self.rate_limit is None:
            return
        with self._lock:
            self._windows.count(key, self.rate_limit, self.rate_clock.now())

    def record_call(self, action: str) -> None:
        """Count one call of `action`."""
        with self._lock:
            self.calls[action] += 1

    def _settle(self) -> None:
        """Apply what has come due by now; nothing, for accounts alone."""
