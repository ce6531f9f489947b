"""Client account rows for the API faces, read with every request's arrival in view but once
for many requests at a time.

Rule: a request gets the account as a read *begun after the request arrived* found it, never an
older copy, so a new price list, a suspension or a deleted account shows on the very next
request, on every instance, whoever made the change (the API, the command line on the database,
another instance). Requests for one account that arrive while a read of it is under way wait
for it to finish and then share a single next read; under load one read answers all the
requests that arrived during the previous one, and a lone request costs one read as before.

::

    reads = AccountReads(store)
    account = await reads.get(principal.account_id)  # None: the account is gone
    prices = prices_of(account)  # `price_key`, worked out once per row read
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from gateway.store import Store
from gateway.store.rows import AccountRow

Read = Callable[[int], Awaitable[AccountRow | None]]


class AccountReads:
    """Shared reads of account rows, by account id."""

    def __init__(self, store: Store | None = None, *, read: Read | None = None) -> None:
        if read is None:
            if store is None:
                raise TypeError("AccountReads needs a store or a read")
            read = store.account_by_id
        self._read = read
        self._waiting: dict[int, asyncio.Future[AccountRow | None]] = {}
        """Per account: the requests that arrived since its current read began."""
        self._reading: dict[int, asyncio.Task[None]] = {}
        self.reads = 0
        """How many reads were made (for tests and curiosity)."""

    async def get(self, account_id: int) -> AccountRow | None:
        """The account as a read begun after this call found it; None when there is none."""
        waiter = self._waiting.get(account_id)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting[account_id] = waiter
            if account_id not in self._reading:
                self._reading[account_id] = asyncio.create_task(self._run(account_id))
        # Shielded: one caller giving up must not cancel the answer the others wait for.
        return await asyncio.shield(waiter)

    async def _run(self, account_id: int) -> None:
        try:
            # Everyone waiting now arrived before this read begins, so its answer is theirs.
            while (waiter := self._waiting.pop(account_id, None)) is not None:
                self.reads += 1
                try:
                    row = await self._read(account_id)
                except asyncio.CancelledError:
                    waiter.cancel()
                    raise
                except Exception as exc:
                    waiter.set_exception(exc)
                    waiter.exception()  # the callers re-raise it; never "unretrieved"
                else:
                    waiter.set_result(row)
        finally:
            self._reading.pop(account_id, None)
            with contextlib.suppress(KeyError):
                # Left behind only when this task was cancelled (the app shutting down).
                self._waiting.pop(account_id).cancel()


_PRICES: dict[int, tuple[AccountRow, str]] = {}
MAX_PRICE_KEYS = 4096


def prices_of(account: AccountRow) -> str:
    """`price_key` of `account`, worked out once per row object: the requests that shared a
    read share the very row, and another read is another row (so a change is never missed)."""
    kept = _PRICES.get(account.id)
    if kept is not None and kept[0] is account:
        return kept[1]
    # Imported here: the GraphQL package imports the app's context, which imports this module.
    from gateway.graphql.account_prices import price_key

    key = price_key(account)
    if len(_PRICES) >= MAX_PRICE_KEYS:
        _PRICES.clear()
    _PRICES[account.id] = (account, key)
    return key
