"""What the catalog costs one client account: its listing rate of each service, computed once
per service and kept while the account's price list and the catalog stay the same.

A service whose cheapest provider would break the account's minimum margin (policy ``skip``) has
no rate: it is unavailable to that account, left out of its lists, and null as a single service.

::

    prices = views.prices(account)            # shared by every request of that account
    prices.rate(group)                        # Decimal | None
    prices.visible(groups, max_rate, order)   # the list as the account sees it
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from gateway.accounts.pricing import PriceList, listing_rate
from gateway.catalog import Group
from gateway.graphql.catalog_types import ServiceOrder
from gateway.graphql.enums import OrderDirection, ServiceOrderField
from gateway.store import AccountRow

REMEMBERED_ACCOUNTS = 64
REMEMBERED_LISTS = 32


def price_key(account: AccountRow) -> str:
    """A digest of what makes an account's prices: its price list, margin policy and currency
    (its balance moves all the time; its prices only when these change)."""
    material = json.dumps(
        [account.price_list, account.margin_policy, account.currency],
        sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class AccountPrices:
    """The listing rates of one account under one price list."""

    def __init__(self, account: AccountRow) -> None:
        self.account_id = account.id
        self.key = price_key(account)
        self.currency = account.currency
        self._price_list = PriceList(**account.price_list)
        self._policy = account.margin_policy
        # Group ids are stable across catalog snapshots while their members are not: the group
        # object a rate was computed from is kept beside it and compared by identity.
        self._rates: dict[int, tuple[Group, Decimal | None]] = {}
        # Lists as the account sees them, by the wholesale selection (kept, and compared by
        # identity: the catalog view keeps one list per filter) and what reshapes it here.
        self._lists: OrderedDict[tuple[Any, ...], tuple[list[Group], list[Group]]] = OrderedDict()

    def rate(self, group: Group) -> Decimal | None:
        """The account's rate per 1000 for `group`; None when it is unavailable to the account."""
        found = self._rates.get(group.id)
        if found is None or found[0] is not group:
            found = self._rates[group.id] = (
                group,
                listing_rate(self._price_list, self._policy, group),
            )
        return found[1]

    def visible(
        self, groups: list[Group], max_rate: Decimal | None, order: ServiceOrder | None
    ) -> list[Group]:
        """`groups` as the account lists them: without unavailable services, `max_rate` applied
        to its own rates, and sorted by its own rates when sorting by rate.

        The wholesale selection `groups` came from is a superset: a client's rate is never
        below the provider's cost, so a service whose cost passes no `max_rate` cannot either.
        """
        order = order or ServiceOrder()
        key = (id(groups), max_rate, order.field, order.direction)
        found = self._lists.get(key)
        if found is not None and found[0] is groups:
            self._lists.move_to_end(key)
            return found[1]
        seen = self._visible(groups, max_rate, order)
        self._lists[key] = (groups, seen)
        while len(self._lists) > REMEMBERED_LISTS:
            self._lists.popitem(last=False)
        return seen

    def _visible(
        self, groups: list[Group], max_rate: Decimal | None, order: ServiceOrder
    ) -> list[Group]:
        priced = [(g, self.rate(g)) for g in groups]
        kept = [(g, r) for g, r in priced if r is not None and (max_rate is None or r <= max_rate)]
        if order.field is ServiceOrderField.RATE:
            kept.sort(key=lambda pair: (pair[1], pair[0].id))
            if order.direction is OrderDirection.DESC:
                kept.reverse()
        return [g for g, _ in kept]


class AccountPriceBook:
    """The `AccountPrices` of the accounts seen lately, under the price list each has now."""

    def __init__(self, size: int = REMEMBERED_ACCOUNTS) -> None:
        self._size = size
        self._known: OrderedDict[int, AccountPrices] = OrderedDict()

    def of(self, account: AccountRow) -> AccountPrices:
        found = self._known.get(account.id)
        if found is None or found.key != price_key(account):
            found = self._known[account.id] = AccountPrices(account)
        self._known.move_to_end(account.id)
        while len(self._known) > self._size:
            self._known.popitem(last=False)
        return found
