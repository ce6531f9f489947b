"""Child orders: drip runs launched when due, and client orders kept at their children's
aggregate.

Each run of the job launches the runs that are due (`Orders.launch_due_runs`: claimed in the
ledger, so two workers never launch the same run, and a worker started after another stopped
launches whatever came due meanwhile), then writes each open client order's aggregate to its
row (`Orders.reconcile_parents`), which settles an account's hold once the aggregate is final.
"""

from __future__ import annotations

from datetime import timedelta

from gateway.core import Gateway
from gateway.store.base import Clock, utcnow


class ChildOrders:
    """The child-orders job::

    launched_and_changed = await ChildOrders(gw).run()
    """

    def __init__(
        self,
        gw: Gateway,
        *,
        lease: timedelta = timedelta(minutes=5),
        limit: int = 50,
        clock: Clock = utcnow,
    ) -> None:
        self.gw = gw
        self.lease = lease
        """How long a claimed run stays away from other workers: longer than a send takes."""
        self.limit = limit
        self._clock = clock

    async def run(self, _partition: str | None = None) -> int:
        """Launch the due runs, then reconcile open client orders; how many of each, summed."""
        snapshot = await self.gw.catalog.snapshot()
        now = self._clock()
        launched = await self.gw.orders.launch_due_runs(
            snapshot, now=now, lease=self.lease, limit=self.limit
        )
        return launched + await self.gw.orders.reconcile_parents()
