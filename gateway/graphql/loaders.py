"""DataLoaders: whatever a list of nodes needs is fetched once per request, not once per node.

A page of 50 orders asking for their service, history and refills makes one catalog lookup, one
history query and one refill query, however many orders the page holds.
"""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from gateway.auth import Principal
from gateway.balances import ProviderBalance
from gateway.catalog import Group
from gateway.core import Gateway
from gateway.quality import QualityReport
from gateway.store import OrderEvent, OrderRow, RefillRow


class Loaders:
    """The DataLoaders of one request, for one caller."""

    def __init__(self, gw: Gateway, principal: Principal | None) -> None:
        self._gw = gw
        self._owner = principal.read_owner if principal is not None else ""
        self.group = DataLoader[int, Group | None](self._groups)
        self.history = DataLoader[int, list[OrderEvent]](self._histories)
        self.refills = DataLoader[int, list[RefillRow]](self._refills)
        self.order = DataLoader[int, OrderRow | None](self._orders)
        self.balance = DataLoader[str, ProviderBalance | None](self._balances)
        self.quality = DataLoader[None, QualityReport](self._quality)
        """The quality report (one key, ``None``): read once however many nodes show it."""

    async def _groups(self, ids: list[int]) -> list[Group | None]:
        snapshot = await self._gw.catalog.snapshot()
        return [snapshot.groups.get(i) for i in ids]

    async def _histories(self, ids: list[int]) -> list[list[OrderEvent]]:
        found = await self._gw.store.order_events_for(ids)
        return [found.get(i, []) for i in ids]

    async def _refills(self, ids: list[int]) -> list[list[RefillRow]]:
        found: dict[int, list[RefillRow]] = defaultdict(list)
        for refill in await self._gw.store.refills_for_orders(ids):
            found[refill.order_id].append(refill)
        return [found.get(i, []) for i in ids]

    async def _orders(self, ids: list[int]) -> list[OrderRow | None]:
        # Another client's order loads as None: to this caller it does not exist.
        rows = {r.id: r for r in await self._gw.store.get_orders(ids)}
        return [
            row if row is not None and self._owner in (None, row.client_id) else None
            for row in (rows.get(i) for i in ids)
        ]

    async def _balances(self, names: list[str]) -> list[ProviderBalance | None]:
        balances = {b.provider: b for b in (await self._gw.balances.fetch()).providers}
        return [balances.get(n) for n in names]

    async def _quality(self, keys: list[None]) -> list[QualityReport]:
        found = await self._gw.quality.report()
        return [found for _ in keys]
