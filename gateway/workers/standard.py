"""The gateway's standard periodic jobs, and their settings.

::

    jobs = standard_jobs(gw, broadcast, WorkerOptions(status_every=1.0))
    jobs.append(PeriodicJob("webhooks", 1.0, lambda _: dispatcher.deliver_due(100)))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.core import Gateway
from gateway.store.base import Clock, utcnow
from gateway.workers.backoff import Backoff
from gateway.workers.balances import BalanceRefresh
from gateway.workers.broadcast import Broadcast, OutboxDrain, Sink
from gateway.workers.catalog import CatalogRefresh
from gateway.workers.drip import ChildOrders
from gateway.workers.jobs import PeriodicJob
from gateway.workers.refills import RefillSync
from gateway.workers.sync import StatusSync, unconfirmed_orders

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How often each job runs (seconds) and how the status sync paces itself."""

    status_every: float = 1.0
    refill_every: float = 60.0
    catalog_every: float | None = None
    """Default: the configuration's ``[catalog] refresh_seconds``."""
    balance_every: float = 300.0
    outbox_every: float = 0.5
    unconfirmed_every: float = 600.0
    interrupted_every: float = 60.0
    children_every: float = 5.0
    """Drip runs launched when due, and split or drip-fed orders kept at their aggregate."""
    interrupted_after: timedelta = timedelta(minutes=5)
    """An order still ``RECEIVED`` this long after its last change was being sent by a process
    that stopped: far longer than any provider call may take."""
    backoff: Backoff = field(default_factory=Backoff)
    lease: timedelta | None = None
    """How long a claimed order stays away from other workers while its worker lives: longer
    than a poll can take. Default: ``[workers] lease_seconds``."""
    lanes: int = 4
    clock: Clock = utcnow


def standard_jobs(
    gw: Gateway,
    broadcast: Broadcast,
    options: WorkerOptions | None = None,
    *,
    sinks: Sequence[Sink] = (),
) -> list[PeriodicJob]:
    """Status and refill sync, catalog and balance refresh, the outbox drain, unconfirmed
    orders and refills surfaced, child orders (drip runs, aggregates); `sinks` receive each
    event inside the drain's transaction."""
    options = options or WorkerOptions()
    providers = tuple(gw.providers)
    catalog = CatalogRefresh(gw.catalog, gw.store, clock=options.clock)
    sync = StatusSync(
        gw.store,
        gw.providers,
        backoff=options.backoff,
        lease=options.lease or timedelta(seconds=gw.settings.workers.lease_seconds),
        lanes=options.lanes,
        clock=options.clock,
        to_base=gw.settings.rate_to_base,
        currencies=gw.currencies,
        resync=catalog.refresh_if_older,  # an overcharge means the prices moved
    )
    catalog_every = options.catalog_every or gw.settings.catalog.refresh_seconds

    async def settle_interrupted(_partition: str | None) -> int:
        settled = await gw.orders.settle_interrupted(options.interrupted_after)
        for row in settled:
            log.warning("order %s was left behind by a stopped process; now %s", row.id, row.state)
        return len(settled)

    async def surface_unconfirmed(_partition: str | None) -> int:
        rows = await unconfirmed_orders(gw.store)
        if rows:
            ids = ", ".join(str(r.id) for r in rows)
            log.warning("orders with an unknown outcome, never re-sent, to resolve: %s", ids)
        refills = await gw.store.unconfirmed_refills()
        if refills:
            ids = ", ".join(str(r.id) for r in refills)
            log.warning(
                "refills with an unknown outcome, their orders not asked again, to resolve: %s",
                ids,
            )
        return len(rows) + len(refills)

    return [
        PeriodicJob("status_sync", options.status_every, sync.run, providers),
        PeriodicJob(
            "refill_sync",
            options.refill_every,
            RefillSync(gw.orders, backoff=options.backoff, clock=options.clock).run,
        ),
        PeriodicJob("catalog_refresh", catalog_every, catalog.run, providers),
        PeriodicJob(
            "balance_refresh",
            options.balance_every,
            BalanceRefresh(gw.balances, gw.store, gw.cache, currencies=gw.currencies).run,
        ),
        PeriodicJob(
            "outbox", options.outbox_every, OutboxDrain(gw.store, broadcast, sinks=sinks).run
        ),
        PeriodicJob("unconfirmed", options.unconfirmed_every, surface_unconfirmed),
        PeriodicJob("interrupted", options.interrupted_every, settle_interrupted),
        PeriodicJob(
            "child_orders", options.children_every, ChildOrders(gw, clock=options.clock).run
        ),
    ]
