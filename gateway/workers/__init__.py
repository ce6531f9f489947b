"""Background work: status and refill sync, catalog and balance refresh, the outbox relay.

Every job is a `PeriodicJob`; the same list runs in-process (`Runner`, one instance, inside
``smm-gateway serve``) or on a saq queue in any number of processes (`QueueWorker`,
``smm-gateway worker``). Correctness never rests on the runner: orders and outbox rows are
claimed in the store, and every event id is derived from the change it announces.

Modules: `jobs` (the job shape), `backoff` (when to poll next), `sync` (order statuses),
`refills`, `catalog`, `balances`, `broadcast` (outbox drain and event fan-out to instances),
`standard` (the standard job list), `runner` (in-process), `queue` (saq).
"""

from gateway.workers.backoff import Backoff
from gateway.workers.balances import BalanceRefresh
from gateway.workers.broadcast import (
    Broadcast,
    LocalBroadcast,
    OutboxDrain,
    RedisBroadcast,
    Sink,
)
from gateway.workers.catalog import CatalogRefresh
from gateway.workers.jobs import PeriodicJob
from gateway.workers.refills import RefillSync
from gateway.workers.runner import Runner
from gateway.workers.standard import WorkerOptions, standard_jobs
from gateway.workers.sync import MISSING_UPSTREAM, StatusSync, SyncReport, unconfirmed_orders

__all__ = [
    "MISSING_UPSTREAM",
    "Backoff",
    "BalanceRefresh",
    "Broadcast",
    "CatalogRefresh",
    "LocalBroadcast",
    "OutboxDrain",
    "PeriodicJob",
    "RedisBroadcast",
    "RefillSync",
    "Runner",
    "Sink",
    "StatusSync",
    "SyncReport",
    "WorkerOptions",
    "standard_jobs",
    "unconfirmed_orders",
]
