"""The client prices this process is about to hold, by account: what lets an account's order
skip the separate hold before its provider's turn without letting a burst spend turns.

An account's order whose funds, as the call read them, cover its price (and no spend cap needs
the ledger's sums) is written, held and marked sent in one transaction once its provider gives
the call its turn (`gateway.orders.placement`). The hold then checks under the account's lock,
after the turn was taken: a refusal there spends a turn of the provider's rate limit, which
every client shares. Orders of one account arriving together all read the same funds, so each
reserves its price here first, and only those the funds cover beside the ones already reserved
take that path; the others are held before asking for a turn, where a refusal costs nothing.
A reservation lasts until its order is answered, long after its hold committed (a call that
read the account just before that commit is covered), so the turns refusals can spend stay
within what the account's funds would pay for. Counting a committed hold twice (in a fresh
read and here) only sends more of a nearly spent account's orders the careful way.

    reservation = funds.reserve(account, price)   # None: hold before the turn
    try:
        ...                                        # write, hold, send, record the answer
    finally:
        reservation.release()
"""

from __future__ import annotations

from decimal import Decimal

from gateway.store.rows import AccountRow


class Reservation:
    """One order's price reserved on its account's funds until `release` (idempotent)."""

    def __init__(self, funds: FundsInFlight, account_id: int, amount: Decimal) -> None:
        self._funds = funds
        self.account_id = account_id
        self.amount = amount
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._funds._release(self.account_id, self.amount)


class FundsInFlight:
    """Prices reserved by account, in this process."""

    def __init__(self) -> None:
        self._pending: dict[int, Decimal] = {}

    def reserve(self, account: AccountRow, amount: Decimal) -> Reservation | None:
        """Reserve `amount` if `account` as read (active, no spend cap) covers it beside what
        is reserved already; else ``None``: the order is to be held before its turn."""
        capped = account.spend_cap_day is not None or account.spend_cap_month is not None
        if not account.active or capped:
            return None
        pending = self._pending.get(account.id, Decimal(0))
        if pending + amount > account.available:
            return None
        self._pending[account.id] = pending + amount
        return Reservation(self, account.id, amount)

    def pending(self, account_id: int) -> Decimal:
        """What is reserved on the account now."""
        return self._pending.get(account_id, Decimal(0))

    def _release(self, account_id: int, amount: Decimal) -> None:
        left = self._pending.get(account_id, Decimal(0)) - amount
        if left > 0:
            self._pending[account_id] = left
        else:
            self._pending.pop(account_id, None)
