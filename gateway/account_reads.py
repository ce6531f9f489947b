"""Client account rows for the API faces: `SharedReads` of the accounts table (see
`gateway.shared_reads` for the rule: a read begun after the request arrived, shared by the
requests arriving meanwhile, skipped on SQLite when nothing was committed since), and each
row's price list key, worked out once per row read.

::

    reads = AccountReads(store)
    account = await reads.get(principal.account_id)  # None: the account is gone
    prices = prices_of(account)  # `price_key`, worked out once per row read
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.shared_reads import Read, SharedReads, data_version
from gateway.store import Store
from gateway.store.rows import AccountRow


class AccountReads(SharedReads[AccountRow]):
    """Shared reads of account rows, by account id: the store's unless `read` is given."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        read: Read[AccountRow] | None = None,
        version: Callable[[], int | None] | None = None,
    ) -> None:
        if read is None:
            if store is None:
                raise TypeError("AccountReads needs a store or a read")
            read = store.account_by_id
            if version is None:
                version = data_version(store)
        super().__init__(read, version=version)


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
