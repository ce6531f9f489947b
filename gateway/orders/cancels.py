"""Cancels, asked of each order's provider in batches and answered per gateway id.

A cancel is asked of a panel once per order however many requests arrive together
(`Followups`), and across processes the ledger decides (`Store.claim_cancels`): a cancel being
asked, or accepted, of an order still open is not asked again. One whose answer was lost is
``cancel_unconfirmed`` (the panel may have canceled it: the status sync tells), and is not
asked again for as long as a claim lasts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

from gateway.orders.followups import CLAIM_TTL, LEFT_OUT, STOPPED, Followups, refusal
from gateway.orders.outcomes import CANCEL_REFUSED, CANCEL_UNCONFIRMED, Outcome
from gateway.orders.shared_claims import SHOWN, cancel_unconfirmed, shared_cancels
from gateway.store import OrderRow
from gateway.store.cancels import REFUSED, REQUESTED, UNCONFIRMED, CancelClaim
from providers.errors import Ambiguous, ProviderError

_SHARED = (CancelClaim.IN_FLIGHT, CancelClaim.UNCONFIRMED)
"""Cancel claims answered from the ledger, not by asking the panel."""


class Cancels(Followups):
    """Cancel."""

    async def cancel(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Ask each order's provider to cancel it ("requested", not yet refunded); an order
        whose cancel is already requested or unconfirmed (its answer lost; the status sync
        tells) is not asked again while it is open. A split or drip-fed order is canceled
        through its children, and a drip's runs left are stopped."""
        return await self._followup(self._canceling, ids, client_id, self._ask_cancels, cancel=True)

    async def _ask_cancels(self, rows: Sequence[OrderRow]) -> dict[int, Outcome]:
        by_id = {row.id: row for row in rows}
        answers = {r.id: Outcome(r.id, r, CANCEL_REFUSED) for r in rows if not r.provider_order_id}
        claims = await self.store.claim_cancels(
            [r.id for r in rows if r.provider_order_id], in_flight_after=self.clock() - CLAIM_TTL
        )
        claimed = [by_id[i] for i, claim in claims.items() if claim is CancelClaim.CLAIMED]
        for order_id, claim in claims.items():
            if claim is CancelClaim.REQUESTED:
                answers[order_id] = Outcome(order_id, by_id[order_id])
        try:
            replies = await self._per_provider(claimed, lambda p, pids: p.cancel(pids))
        except BaseException:
            # The panel may have been asked: unconfirmed, as a lost answer.
            stopped = {r.id: Ambiguous(STOPPED) for r in claimed}
            await asyncio.shield(self._cancels_answered(claimed, stopped))
            raise
        answers.update(await self._cancels_answered(claimed, replies))
        # Another request's cancels, once their panel answered (after asking for ours), and
        # those sent before whose answer was lost (not asked again while the order is open).
        theirs = [i for i, c in claims.items() if c in _SHARED]
        shared, again = await shared_cancels(
            self.store, theirs, by_id, clock=self.clock, ttl=CLAIM_TTL
        )
        answers.update(shared)
        if again:
            answers.update(await self._ask_cancels(again))
        return answers

    async def _cancels_answered(
        self, rows: Sequence[OrderRow], replies: Mapping[int, object]
    ) -> dict[int, Outcome]:
        answers = {}
        for row in rows:
            reply = replies.get(row.id) or ProviderError(LEFT_OUT)
            if isinstance(reply, Ambiguous):
                data = {"error": reply.message, "outcome": "unknown", SHOWN: CANCEL_UNCONFIRMED}
                after = await self.store.update_order(
                    row.id, event_kind=UNCONFIRMED, event_data=data
                )
                answers[row.id] = cancel_unconfirmed(after, data)
            elif isinstance(reply, ProviderError):
                refused = refusal(row, reply, CANCEL_REFUSED)
                after = await self.store.update_order(
                    row.id, event_kind=REFUSED,
                    event_data={"error": reply.message, SHOWN: refused.shown},
                )  # fmt: skip
                answers[row.id] = refusal(after, reply, CANCEL_REFUSED)
            else:
                after = await self.store.update_order(row.id, event_kind=REQUESTED)
                answers[row.id] = Outcome(row.id, after)
        return answers
