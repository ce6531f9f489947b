"""Status sync: open orders polled from their providers, 100 ids a call, changes announced once.

Per provider, `lanes` loops ask the panel for the statuses of a batch of due orders each, one
call at a time per lane. One claim (a lease in the store, so no other worker polls them) takes
a batch for every lane, and the next claim is made ahead (`sync_claims`). A lane hands its
answers to the sync's writes and makes its next call at once: the writes record every change
with its history entry and outbox event, many batches in one transaction (`sync_writes`,
`sync_record`), while the next calls wait on the network. The
claim is what makes two workers safe; it names this process, so a worker that dies loses its
claims when its heartbeat expires (`gateway.fleet`). The provider's rate limit and concurrency
cap bound the calls.

Every poll ends with the order rescheduled by the `Backoff`: young orders soon, old ones
rarely, settled ones never. An order the panel no longer knows ("Incorrect order ID") is
flagged (its ``error`` set, an ``order.updated`` event) and kept, polled rarely; ``UNCONFIRMED``
orders have no provider id to poll and are never re-sent: `unconfirmed_orders` lists them for
operators.

The charge is recorded in the currency the panel reports. A charge above the order's quoted
provider cost flags the order ``overcharged`` (an ``order.overcharged`` event, once) and has
`resync` re-fetch that provider's catalog, whose prices are evidently out of date. Statuses in
another currency than the provider's configured one start a ``provider.currency_mismatch``
episode in the `CurrencyWatch`, which keeps the provider out of routing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, nullcontext
from datetime import datetime, timedelta
from operator import attrgetter

from gateway.currencies import CurrencyWatch
from gateway.fleet import beating_instance
from gateway.orders.polled import ToBase, status_values
from gateway.store import GatewayState, OrderRow, Store, is_final
from gateway.store.base import Clock, utcnow
from gateway.store.sync import SYNCED, PolledChange
from gateway.workers.backoff import Backoff
from gateway.workers.sync_claims import Claims
from gateway.workers.sync_record import (
    MISSING_UPSTREAM,
    Polled,
    SyncReport,
    decide,
    flagged_event,
    record,
)
from gateway.workers.sync_writes import GroupWrites
from gateway.workers.together import stop, together
from providers.base import MAX_BATCH, Provider
from providers.errors import NotFound, ProviderError
from providers.models import OrderStatus

log = logging.getLogger(__name__)
_synced_of = attrgetter(*SYNCED)

__all__ = [
    "MISSING_UPSTREAM", "Polled", "StatusSync", "SyncReport", "flagged_event",
    "unconfirmed_orders",
]  # fmt: skip


async def unconfirmed_orders(store: Store, limit: int = 100) -> list[OrderRow]:
    """Orders whose placement outcome is unknown, newest first: for an operator to resolve."""
    return await store.list_orders(None, [GatewayState.UNCONFIRMED], None, limit)


class StatusSync:
    """Polls due orders of each provider and records what changed.

    ::

        sync = StatusSync(gw.store, gw.providers)
        report = await sync.run("alpha")   # one provider; run() does all of them
    """

    def __init__(
        self,
        store: Store,
        providers: Mapping[str, Provider],
        *,
        backoff: Backoff | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch: int = MAX_BATCH,
        lanes: int = 4,
        clock: Clock = utcnow,
        to_base: ToBase | None = None,
        currencies: CurrencyWatch | None = None,
        resync: Callable[[str, datetime], Awaitable[object]] | None = None,
        instance: str | None = None,
    ) -> None:
        self.store = store
        self.providers = providers
        self.backoff = backoff or Backoff()
        self.lease = lease
        self.batch = batch
        self.lanes = lanes
        self._clock = clock
        self.to_base = to_base
        """Compares a charge and a quote in different currencies (else only like ones)."""
        self.currencies = currencies
        self.resync = resync
        self.instance = instance
        """The fleet id recorded on claims (default: this process's while it heartbeats)."""
        """Called with a provider and the newest overcharged order's creation time."""
        self._resyncing: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._sqlite_lock = asyncio.Lock()

    async def run(self, provider: str | None = None) -> SyncReport:
        """Poll every due order of `provider` (default: of every provider) until none is due."""
        names = list(self.providers) if provider is None else [provider]
        reports = {name: SyncReport() for name in names if name in self.providers}
        followups: list[asyncio.Task[None]] = []
        writes: GroupWrites[Polled] = GroupWrites(self._write, self._release_polled)
        try:
            try:
                await together(self._provider(n, reports[n], writes, followups) for n in reports)
            except asyncio.CancelledError:
                await writes.abort()
                raise
            except BaseException:
                await writes.close()  # what the panels answered is still recorded
                raise
            await writes.close()
            await together(followups)
        except BaseException:
            await stop(followups)  # no re-sync goes on after the run has failed
            raise
        report = SyncReport()
        for name, part in reports.items():
            if part.polled:
                log.info("status sync of %s: %s", name, part)
            report.add(part)
        return report

    async def _provider(
        self,
        name: str,
        report: SyncReport,
        writes: GroupWrites[Polled],
        followups: list[asyncio.Task[None]],
    ) -> None:
        provider = self.providers[name]
        instance = self.instance if self.instance is not None else beating_instance()

        async def claim() -> list[OrderRow]:
            async with self._serial():
                return await self.store.claim_due_orders(
                    now=self._clock(), lease=self.lease, limit=self.batch * self.lanes,
                    provider=name, instance=instance,
                )  # fmt: skip

        # One claim (a short transaction) takes a batch for every lane, so that every call of
        # this process carries a full batch; the next is made ahead (`sync_claims`).
        claims = Claims(claim, batch=self.batch, limit=self.batch * self.lanes)

        async def lane() -> None:
            while rows := await claims.take():
                polled = await self._poll(provider, rows, report, followups)
                await writes.add(polled)  # written behind this lane's next call

        # Each lane keeps one call in flight; the adapter's gate caps them per provider anyway.
        try:
            await together(lane() for _ in range(self.lanes))
        finally:
            # A lane failed (the others are stopped by now) or the sync was cancelled: hand
            # the rest back now, and leave nothing for a lane to take.
            rest = await asyncio.shield(claims.close())
            if rest:
                await asyncio.shield(self._release(rest))

    async def _poll(
        self,
        provider: Provider,
        rows: list[OrderRow],
        report: SyncReport,
        followups: list[asyncio.Task[None]],
    ) -> Polled:
        """Ask the panel for `rows`' statuses; what each answer changes, ready to write."""
        by_pid = {row.provider_order_id or "": row for row in rows}
        try:
            answers: Mapping[str, OrderStatus | ProviderError] = await provider.status(list(by_pid))
        except asyncio.CancelledError:
            # Shutting down mid-call: hand the orders back now rather than at lease expiry.
            await asyncio.shield(self._release(rows))
            raise
        report.polled += len(rows)
        report.calls += 1
        name = rows[0].provider or ""
        reported = self._reported_currency(name, answers.values())
        # Whether it starts a currency mismatch is decided when written (`decide`).
        polled = Polled(name, rows, report, followups, self._clock(), reported, None)
        for pid, row in by_pid.items():
            answer = answers.get(pid) or ProviderError("the panel left this order out")
            change = self._change(row, answer, polled.now, polled.later)
            if change is not None:
                polled.changes.append(change)
            if isinstance(answer, OrderStatus):
                polled.answered.append(row.id)
            elif isinstance(answer, NotFound):
                report.missing += 1
            else:
                report.failed += 1
        return polled

    async def _write(self, group: list[Polled]) -> None:
        async with AsyncExitStack() as deciding:
            if self.currencies is not None:
                await decide(self.currencies, group, deciding)
            async with self._serial():
                done, overcharged = await record(self.store, group, self.backoff.minimum)
            for polled in group:
                polled.report.changed += sum(
                    1 for c in polled.changes if c.kind == "status" and c.before.id in done
                )
                mine = {row.id for row in polled.rows}
                await self._written(polled, [r for r in overcharged if r.id in mine])

    async def _written(self, polled: Polled, overcharged: list[OrderRow]) -> None:
        """What follows a batch's commit: the currency it came in remembered; after an
        overcharge, the provider's catalog re-synced beside the sync (awaited by `run`)."""
        name, mismatch = polled.name, polled.mismatch
        if polled.reported is not None and self.currencies is not None:
            await self.currencies.record_status(name, polled.reported)
        if mismatch is not None:
            log.warning("provider %s reports statuses in %s, configured %s", name,
                        mismatch.reported, mismatch.configured)  # fmt: skip
        if overcharged:
            ids = ", ".join(str(row.id) for row in overcharged)
            log.warning("orders charged above their quote at %s: %s", name, ids)
            newest = max(row.created_at for row in overcharged)
            polled.followups.append(asyncio.create_task(self._resync(name, newest)))

    def _serial(self) -> AbstractAsyncContextManager[object]:
        """On SQLite, the sync's own writes one at a time: waiting on an asyncio lock, not in
        SQLite's busy handler, which sleeps in steps of up to 100 ms."""
        return self._sqlite_lock if self.store.dialect == "sqlite" else nullcontext()

    def _reported_currency(
        self, name: str, answers: Iterable[OrderStatus | ProviderError]
    ) -> str | None:
        """The currency this batch's charges came in: one that differs from the configured
        currency if any does, else the configured one; None when no answer had a charge."""
        configured = None if self.currencies is None else self.currencies.configured.get(name)
        seen = {a.charge.currency for a in answers if isinstance(a, OrderStatus) and a.charge}
        if not seen:
            return None
        others = sorted(seen - {configured})
        return others[0] if others else configured

    async def _resync(self, name: str, newest: datetime) -> None:
        if self.resync is None:
            return
        # One re-sync at a time per provider: the lanes finding the same new price share it.
        async with self._resyncing[name]:
            try:
                await self.resync(name, newest)
            except Exception:  # a failed re-sync must not undo the statuses just recorded
                log.exception("catalog re-sync of %s after an overcharge failed", name)

    async def _release(self, rows: list[OrderRow]) -> None:
        now = self._clock()
        await self.store.reschedule_orders({row.id: now for row in rows})

    async def _release_polled(self, group: list[Polled]) -> None:
        await self._release([row for polled in group for row in polled.rows])

    def _change(
        self,
        row: OrderRow,
        answer: OrderStatus | ProviderError,
        now: datetime,
        later: dict[int, datetime | None],
    ) -> PolledChange | None:
        """What one answer changes in the order; with no change, just when to poll it next."""
        if isinstance(answer, NotFound):
            # Never dropped: the order may have been paid for. Flag it once, keep polling rarely.
            missing_at = now + self.backoff.missing
            if row.error == MISSING_UPSTREAM:
                later[row.id] = missing_at
                return None
            current = dict(zip(SYNCED, _synced_of(row), strict=True))
            values = {**current, "error": MISSING_UPSTREAM, "next_poll_at": missing_at}
            return PolledChange(row, "missing", values, {"error": answer.message})
        if isinstance(answer, ProviderError):
            log.info("status of order %s at %s: %s", row.id, row.provider, answer)
            later[row.id] = now + self.backoff.retry
            return None
        state = answer.state.value
        polled = {
            **status_values(row, answer, to_base=self.to_base),
            # The panel knows the order (again): a flag of an earlier poll no longer holds.
            "error": None if row.error == MISSING_UPSTREAM else row.error,
        }
        next_at = None if is_final(state) else self.backoff.next_poll(row.created_at, now)
        if all(getattr(row, k) == v for k, v in polled.items()):
            later[row.id] = next_at
            return None
        values = {**polled, "next_poll_at": next_at}
        return PolledChange(row, "status", values, {"raw": answer.raw_status}, synced_at=now)
