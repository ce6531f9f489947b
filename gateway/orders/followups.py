"""After placement: refills, refill statuses and cancels, asked of each order's provider in
batches and answered per gateway id."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping

from gateway import events
from gateway.orders.base import OrdersBase, T
from gateway.orders.outcomes import Outcome, RefillOutcome
from gateway.store import OrderRow
from gateway.store.refills import OPEN_REFILL_STATES
from providers.base import Provider
from providers.errors import ProviderError
from providers.models import CancelResult, Refill


class Followups(OrdersBase):
    """Refill and cancel."""

    async def _ask_each(
        self,
        ids: Iterable[int],
        client_id: str | None,
        call: Callable[[Provider, list[str]], Awaitable[Mapping[str, T | ProviderError]]],
        refused: str,
        accepted: Callable[[OrderRow, T], Awaitable[Outcome]],
    ) -> list[Outcome]:
        """Send a write to each order's provider (batched) and answer per gateway id."""
        wanted = list(dict.fromkeys(ids))
        rows = await self._owned(wanted, client_id)
        answers = await self._per_provider(rows.values(), call)
        outcomes = []
        for order_id in wanted:
            row = rows.get(order_id)
            answer = answers.get(order_id)
            if row is None:
                outcomes.append(Outcome(order_id, None, "Incorrect order ID"))
            elif answer is None:
                outcomes.append(Outcome(order_id, row, refused))
            elif isinstance(answer, ProviderError):
                outcomes.append(Outcome(order_id, row, answer.message))
            else:
                outcomes.append(await accepted(row, answer))
        return outcomes

    async def refill(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Ask each order's provider for a refill; a granted one is recorded with a gateway id."""

        async def granted(row: OrderRow, answer: Refill) -> Outcome:
            async with self.store.transaction() as tx:
                refill = await self.store.create_refill(
                    row.id, row.provider or "", answer.refill, tx=tx
                )
                row = await self.store.update_order(
                    row.id, event_kind="refill", event_data={"refill": refill.id}, tx=tx
                )
                await events.record(self.store, tx, [events.refill_event(row, refill)])
            return Outcome(row.id, row, refill=refill)

        return await self._ask_each(
            ids, client_id, lambda p, pids: p.refill(pids), "Order not eligible for refill.",
            granted,
        )  # fmt: skip

    async def refill_status(
        self, refill_ids: Iterable[int], client_id: str | None
    ) -> list[RefillOutcome]:
        """Refresh refills from their providers; a refill of another client's order is unknown."""
        wanted = list(dict.fromkeys(refill_ids))
        found = {r.id: r for r in await self.store.get_refills(wanted)}
        owners = await self._owned({r.order_id for r in found.values()}, client_id)
        found = {i: r for i, r in found.items() if r.order_id in owners}
        by_provider: dict[str, dict[str, int]] = defaultdict(dict)
        for refill in found.values():
            if refill.provider_refill_id and refill.state in OPEN_REFILL_STATES:
                by_provider[refill.provider][refill.provider_refill_id] = refill.id

        async def one(name: str, ids: dict[str, int]) -> None:
            provider = self.providers.get(name)
            if provider is None:
                return
            answers = await provider.refill_status(list(ids))
            for provider_id, answer in answers.items():
                before = found[ids[provider_id]]
                if isinstance(answer, ProviderError) or answer.state.value == before.state:
                    continue
                async with self.store.transaction() as tx:
                    after = await self.store.update_refill(
                        before.id, state=answer.state.value, status_raw=answer.raw_status, tx=tx
                    )
                    order = owners[after.order_id]
                    await events.record(self.store, tx, [events.refill_event(order, after)])
                found[after.id] = after

        await asyncio.gather(*(one(n, ids) for n, ids in by_provider.items()))
        return [
            RefillOutcome(i, found[i]) if i in found else RefillOutcome(i, None, "Refill not found")
            for i in wanted
        ]

    async def cancel(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Ask each order's provider to cancel it ("requested", not yet refunded)."""

        async def requested(row: OrderRow, answer: CancelResult) -> Outcome:
            row = await self.store.update_order(row.id, event_kind="cancel_requested")
            return Outcome(row.id, row)

        return await self._ask_each(
            ids, client_id, lambda p, pids: p.cancel(pids), "Order cannot be canceled.", requested
        )
