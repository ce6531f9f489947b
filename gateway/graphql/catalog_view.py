"""The catalog as the API lists it: nodes, sort orders and search text, built once per snapshot.

A snapshot of 20,000 services is immutable, so everything derived from it is computed on first
use and kept until the catalog changes: no request pays for rebuilding, sorting or lower-casing
the whole catalog, only for filtering it (and identical filters are remembered too).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gateway.catalog import Group, Snapshot
from gateway.graphql.account_prices import AccountPriceBook
from gateway.graphql.catalog_types import ServiceFilter, ServiceNode, ServiceOrder
from gateway.graphql.enums import OrderDirection, ServiceOrderField

_SORT_KEYS: dict[ServiceOrderField, Callable[[Group], Any]] = {
    ServiceOrderField.RATE: lambda g: (g.cheapest.rate, g.id),
    ServiceOrderField.NAME: lambda g: (g.name.casefold(), g.id),
    ServiceOrderField.ID: lambda g: g.id,
}
_REMEMBERED_SELECTIONS = 128

FilterKey = tuple[Any, ...]


def filter_key(where: ServiceFilter | None, order: ServiceOrder | None) -> FilterKey:
    order = order or ServiceOrder()
    values: tuple[Any, ...] = ()
    if where is not None:
        values = (
            where.platform, where.metric, where.type,
            (where.search or "").casefold().strip() or None, where.provider, where.max_rate,
            where.refill, where.cancel, where.drip_feed,
        )  # fmt: skip
    return (order.field, order.direction, values)


class CatalogView:
    """Derived data of one snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._nodes: dict[int, ServiceNode] = {}
        self._sorted: dict[ServiceOrderField, list[Group]] = {}
        self._text: dict[int, str] = {}
        self._selections: OrderedDict[FilterKey, list[Group]] = OrderedDict()
        self._per_provider: Counter[str] | None = None

    def node(self, group: Group) -> ServiceNode:
        found = self._nodes.get(group.id)
        if found is None:
            found = self._nodes[group.id] = ServiceNode.of(group)
        return found

    def service_count(self, provider: str) -> int:
        """How many of `provider`'s services the catalog lists."""
        if self._per_provider is None:
            self._per_provider = Counter(o.provider for o in self.snapshot.offers.values())
        return self._per_provider[provider]

    def group(self, service_id: int) -> Group | None:
        return self.snapshot.groups.get(service_id)

    def _ordered(self, field: ServiceOrderField) -> list[Group]:
        if field not in self._sorted:
            self._sorted[field] = sorted(self.snapshot.groups.values(), key=_SORT_KEYS[field])
        return self._sorted[field]

    def _search_text(self, group: Group) -> str:
        text = self._text.get(group.id)
        if text is None:
            names = [group.name, *(m.service.name for m in group.members)]
            text = self._text[group.id] = " ".join(names).casefold()
        return text

    def select(self, where: ServiceFilter | None, order: ServiceOrder | None) -> list[Group]:
        """The groups matching `where`, in `order` (default: cheapest first)."""
        key = filter_key(where, order)
        found = self._selections.get(key)
        if found is not None:
            self._selections.move_to_end(key)
            return found
        order = order or ServiceOrder()
        groups = self._ordered(order.field)
        if where is not None:
            groups = [g for g in groups if self._matches(g, where)]
        if order.direction is OrderDirection.DESC:
            groups = groups[::-1]
        self._selections[key] = groups
        while len(self._selections) > _REMEMBERED_SELECTIONS:
            self._selections.popitem(last=False)
        return groups

    def _matches(self, group: Group, where: ServiceFilter) -> bool:
        c = group.classification or group.cheapest.classification
        checks = (
            where.platform is None or c.platform == where.platform,
            where.metric is None or c.metric == where.metric,
            where.type is None or group.type == where.type,
            where.provider is None or where.provider in group.providers,
            where.max_rate is None or group.cheapest.rate <= Decimal(where.max_rate),
            where.refill is None or group.refill == where.refill,
            where.cancel is None or group.cancel == where.cancel,
            where.drip_feed is None or group.dripfeed == where.drip_feed,
        )
        if not all(checks):
            return False
        if where.search:
            text = self._search_text(group)
            return all(word in text for word in where.search.casefold().split())
        return True


class CatalogViews:
    """The view of the latest snapshot seen (a new snapshot replaces it), and the client
    accounts' prices."""

    def __init__(self) -> None:
        self._view: CatalogView | None = None
        self.prices = AccountPriceBook()
        """The client accounts' own rates."""

    def of(self, snapshot: Snapshot) -> CatalogView:
        view = self._view
        if view is None or view.snapshot is not snapshot:
            view = self._view = CatalogView(snapshot)
        return view
