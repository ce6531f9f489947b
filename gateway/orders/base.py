"""What every part of the order side shares: the ledger, the providers, and one way to change
an order (update and event in one transaction)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from gateway import events
from gateway.health import HealthBoard
from gateway.orders.drip_refusals import DripRefusals
from gateway.orders.freshness import Freshness
from gateway.orders.funds_in_flight import FundsInFlight
from gateway.orders.outcomes import Outcome
from gateway.quality import QualityBook
from gateway.router import Router
from gateway.routing import ProviderState
from gateway.shared_reads import SharedReads, data_version
from gateway.store import ApiKeyRow, OrderRow, Store
from gateway.store.base import Clock, utcnow
from providers.base import Provider
from providers.errors import ProviderError

T = TypeVar("T")


class OrdersBase:
    """State and helpers shared by placement, reads and follow-ups."""

    def __init__(
        self,
        store: Store,
        providers: Mapping[str, Provider],
        health: HealthBoard,
        *,
        provider_states: Callable[[], Awaitable[Mapping[str, ProviderState]]],
        base_currency: str,
        poll_after: timedelta = timedelta(seconds=30),
        idempotency_wait: float = 30.0,
        fresh_for: timedelta = timedelta(seconds=60),
        clock: Clock = utcnow,
        quality: QualityBook | None = None,
        router: Router | None = None,
    ) -> None:
        self.store = store
        self.providers = providers
        self.health = health
        self._provider_states = provider_states
        self.base_currency = base_currency
        self._poll_after = poll_after
        self.idempotency_wait = idempotency_wait
        self.clock = clock
        self.freshness = Freshness(store, fresh_for, clock=clock)
        # Routing policies read quality from the book (none: every figure assumed neutral).
        self.quality = quality
        self.router = router or Router()
        # The API keys whose routing policies orders follow, read with each order's arrival in
        # view but once for the orders arriving together (`gateway.shared_reads`).
        self.key_reads: SharedReads[ApiKeyRow] = SharedReads(
            store.api_key, version=data_version(store)
        )
        # Refills and cancels being asked of a panel by this process, by order id: a second
        # request for the same order waits for the first one's answer instead of asking again.
        self._refilling: dict[int, asyncio.Future[Outcome]] = {}
        self._canceling: dict[int, asyncio.Future[Outcome]] = {}
        # Client prices about to be held, by account (`gateway.orders.funds_in_flight`).
        self.funds_in_flight = FundsInFlight()
        # Members that refused a drip-feed lately (`gateway.orders.drip_refusals`).
        self.drip_refusals = DripRefusals()

    async def aclose(self) -> None:
        """Let background work finish (the freshness write) before the store closes."""
        await self.freshness.settled()

    async def _change(self, before: OrderRow, *, event_kind: str, **changes: Any) -> OrderRow:
        """Update an order and queue the event its visible change gives, in one transaction."""
        async with self.store.transaction() as tx:
            # Only from the row as read: a worker that changed it meanwhile wins (StaleOrder).
            after = await self.store.update_order(
                before.id, event_kind=event_kind, expected_version=before.version,
                expected_state=before.state, tx=tx, **changes,
            )  # fmt: skip
            await events.record(self.store, tx, [events.order_event(before, after)])
        return after

    async def _unhealthy(self, name: str, error: str) -> None:
        report = self.health.report(name)
        event = events.provider_unhealthy(name, error, report.cooldown_remaining, datetime.now(UTC))
        async with self.store.transaction() as tx:
            await events.record(self.store, tx, [event])

    async def _owned(self, ids: Iterable[int], client_id: str | None) -> dict[int, OrderRow]:
        wanted = list(dict.fromkeys(ids))
        rows = {r.id: r for r in await self.store.get_orders(wanted)}
        if client_id is not None:
            rows = {i: r for i, r in rows.items() if r.client_id == client_id}
        return rows

    async def _per_provider(
        self,
        rows: Iterable[OrderRow],
        call: Callable[[Provider, list[str]], Awaitable[Mapping[str, T | ProviderError]]],
    ) -> dict[int, T | ProviderError]:
        """Run `call` once per provider with its orders' provider ids; answers by gateway id."""
        by_provider: dict[str, dict[str, int]] = defaultdict(dict)
        for row in rows:
            if row.provider and row.provider_order_id:
                by_provider[row.provider][row.provider_order_id] = row.id

        async def one(name: str, ids: dict[str, int]) -> dict[int, T | ProviderError]:
            provider = self.providers.get(name)
            if provider is None:
                error = ProviderError("provider no longer configured", provider=name)
                return dict.fromkeys(ids.values(), error)
            answers = await call(provider, list(ids))
            return {ids[pid]: outcome for pid, outcome in answers.items() if pid in ids}

        merged: dict[int, T | ProviderError] = {}
        for part in await all_of(one(n, ids) for n, ids in by_provider.items()):
            merged.update(part)
        return merged


async def all_of(calls: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run `calls` concurrently; the first to fail cancels the others and is raised (as is,
    not wrapped in a group, so callers see the error they know)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]
