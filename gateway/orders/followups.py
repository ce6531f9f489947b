"""After placement: refills, refill statuses and cancels (`gateway.orders.cancels`), asked of each
order's provider in batches and answered per gateway id. Every face (CLI, GraphQL, ``/api/v2``)
calls these.

A panel is asked once per order however many requests arrive together: in this process a
second request waits for the first one's answer, and across processes the ledger decides
(an open refill is returned instead of asking again, a cancel being asked or already accepted
is not asked again; `Store.claim_refills`, `Store.claim_cancels`), an ``UNCONFIRMED`` refill
(its answer lost) too, until an operator settles it (`refill_resolution`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gateway import events
from gateway.orders.base import OrdersBase, all_of
from gateway.orders.outcomes import (
    REFILL_REFUSED,
    Outcome,
    RefillOutcome,
    client_refusal,
)
from gateway.orders.shared_claims import (
    ask_once,
    shared_refills,
)
from gateway.orders.split import fan_out
from gateway.store import OrderRow, RefillRow
from gateway.store.refills import OPEN_REFILL_STATES, REFILL_UNCONFIRMED
from providers.errors import (
    Ambiguous,
    AuthenticationError,
    ProviderError,
    RateLimited,
    Unavailable,
)
from providers.models import Refill, RefillState

LEFT_OUT = "the panel left this order out of its answer"
STOPPED = "the request was stopped before the panel answered; outcome unknown"
CLAIM_TTL = timedelta(minutes=5)
"""How long a request may take to get a panel's answer to a refill or cancel: longer than any
call may last. A claim older than this belongs to a request that died."""
_NOT_ABOUT_THE_REFILL = (Unavailable, RateLimited, AuthenticationError)
"""Errors of the call, not answers about the refill: it is polled again later."""


def refusal(row: OrderRow, reply: ProviderError, shown: str) -> Outcome:
    """A panel's refusal of a follow-up of `row`: its text for the operator, and what the
    client is told (`shown`, or the call's own trouble)."""
    return Outcome(row.id, row, reply.message, client_error=client_refusal(reply, shown))


@dataclass(frozen=True, slots=True)
class RefillPoll:
    """One refill after a poll; `answered` when the panel said something about it."""

    refill: RefillRow
    answered: bool


class Followups(OrdersBase):
    """Refill, and what every follow-up shares: asking once for requests arriving together, a
    split or drip-fed order through its children (cancels: `gateway.orders.cancels`)."""

    async def _once_each(
        self,
        in_flight: dict[int, asyncio.Future[Outcome]],
        ids: Iterable[int],
        client_id: str | None,
        ask: Callable[[list[int]], Awaitable[list[Outcome]]],
    ) -> list[Outcome]:
        """`ask` for the orders no request of this process is asking for; share the others'.

        A request counts as asking from its first step, before it reads anything, so that
        requests arriving together share one call however their reads are scheduled. An
        order shared is checked to be the caller's; one the other request could not ask for
        (not its client's: answered without an order) is asked for again."""
        wanted = list(dict.fromkeys(ids))
        answers, joined = await ask_once(in_flight, wanted, ask)
        if joined:
            owned = await self._owned(joined, client_id)
            again = []
            for order_id in owned:
                shared = await asyncio.shield(joined[order_id])
                if shared.order is None:
                    again.append(order_id)
                else:
                    answers[order_id] = shared
            if again:
                answers.update({o.order_id: o for o in await ask(again)})
        return [answers.get(i) or Outcome(i, None, "Incorrect order ID") for i in wanted]

    async def _followup(
        self,
        in_flight: dict[int, asyncio.Future[Outcome]],
        ids: Iterable[int],
        client_id: str | None,
        ask: Callable[[list[OrderRow]], Awaitable[dict[int, Outcome]]],
        *,
        cancel: bool,
    ) -> list[Outcome]:
        """`ask` (a refill or a cancel) once for requests arriving together (`_once_each`), a
        split or drip-fed order through its children (`fan_out`)."""
        return await self._once_each(
            in_flight, ids, client_id,
            lambda mine: fan_out(
                self, mine, client_id,
                lambda wanted: self._asked(wanted, client_id, ask), cancel=cancel,
            ),
        )  # fmt: skip

    async def _asked(
        self,
        wanted: list[int],
        client_id: str | None,
        ask: Callable[[list[OrderRow]], Awaitable[dict[int, Outcome]]],
    ) -> list[Outcome]:
        """`ask` for those of `wanted` that are `client_id`'s; an answer per id."""
        rows = await self._owned(wanted, client_id)
        answers = await ask(list(rows.values())) if rows else {}
        return [answers.get(i) or Outcome(i, None, "Incorrect order ID") for i in wanted]

    # -- refill ------------------------------------------------------------------------------

    async def refill(self, ids: Iterable[int], client_id: str | None) -> list[Outcome]:
        """Refill each order: its open (or unconfirmed) refill if it has one, else a new one
        asked of its provider, with a gateway id; a split or drip-fed order through its children."""
        return await self._followup(
            self._refilling, ids, client_id, self._ask_refills, cancel=False
        )

    async def _ask_refills(self, rows: list[OrderRow]) -> dict[int, Outcome]:
        by_id = {row.id: row for row in rows}
        answers = {r.id: Outcome(r.id, r, REFILL_REFUSED) for r in rows if not r.provider_order_id}
        askable = {r.id: r.provider or "" for r in rows if r.provider_order_id}
        claims = await self.store.claim_refills(askable, abandoned_before=self.clock() - CLAIM_TTL)
        claimed = {i: refill for i, (refill, created) in claims.items() if created}
        try:
            replies = await self._per_provider(
                [by_id[i] for i in claimed], lambda p, pids: p.refill(pids)
            )
        except BaseException:
            # The panel may have been asked: unconfirmed now rather than when the claims expire.
            await asyncio.shield(self._stopped([(by_id[i], c) for i, c in claimed.items()]))
            raise
        for order_id, claim in claimed.items():
            reply = replies.get(order_id) or ProviderError(LEFT_OUT)
            answers[order_id] = await self._refill_answered(by_id[order_id], claim, reply)
        # Another request's claims, once their panel answered (after asking for ours: two
        # processes never wait on each other); a refused one is gone, so this request asks.
        theirs = {i: refill for i, (refill, created) in claims.items() if not created}
        shared, again = await shared_refills(
            self.store, theirs, by_id, clock=self.clock, ttl=CLAIM_TTL
        )
        answers.update(shared)
        if again:
            answers.update(await self._ask_refills(again))
        return answers

    async def _refill_answered(
        self, row: OrderRow, claim: RefillRow, reply: Refill | ProviderError
    ) -> Outcome:
        if isinstance(reply, Ambiguous):
            # It may exist upstream: UNCONFIRMED holds the order until an operator settles it.
            return await self._refill_recorded(
                row, claim, {"state": REFILL_UNCONFIRMED, "error": reply.message}
            )
        if isinstance(reply, ProviderError):
            await self.store.delete_refill(claim.id)
            return refusal(row, reply, REFILL_REFUSED)
        accepted = {"state": RefillState.PENDING, "provider_refill_id": reply.refill}
        return await self._refill_recorded(row, claim, accepted)

    async def _refill_recorded(
        self, row: OrderRow, claim: RefillRow, changes: dict[str, Any]
    ) -> Outcome:
        """The claim updated with `changes`, with the order's history entry and the event."""
        async with self.store.transaction() as tx:
            refill = await self.store.update_refill(claim.id, status_raw=None, **changes, tx=tx)
            data: dict[str, Any] = {"refill": refill.id}
            if refill.state == REFILL_UNCONFIRMED:
                data.update(outcome="unknown", error=refill.error or "")
            row = await self.store.update_order(row.id, event_kind="refill", event_data=data, tx=tx)
            await events.record(self.store, tx, [events.refill_event(row, refill)])
        return Outcome(row.id, row, refill=refill)

    async def _stopped(self, claims: list[tuple[OrderRow, RefillRow]]) -> None:
        for row, claim in claims:
            await self._refill_recorded(row, claim, {"state": REFILL_UNCONFIRMED, "error": STOPPED})

    # -- refill status -----------------------------------------------------------------------

    async def refill_status(
        self, refill_ids: Iterable[int], client_id: str | None
    ) -> list[RefillOutcome]:
        """Refresh refills from their providers; a refill of another client's order is unknown."""
        wanted = list(dict.fromkeys(refill_ids))
        found = {r.id: r for r in await self.store.get_refills(wanted)}
        owners = await self._owned({r.order_id for r in found.values()}, client_id)
        found = {i: r for i, r in found.items() if r.order_id in owners}
        for poll in await self.poll_refills(found.values()):
            found[poll.refill.id] = poll.refill
        return [
            RefillOutcome(i, found[i]) if i in found else RefillOutcome(i, None, "Refill not found")
            for i in wanted
        ]

    async def poll_refills(self, refills: Iterable[RefillRow]) -> list[RefillPoll]:
        """Ask the providers of the open refills among `refills` for their statuses (batched)
        and record each change with its event. A panel's error about a refill ("Refill not
        found") ends it ``FAILED`` with that text; an unrecognised status keeps it open."""
        by_provider: dict[str, dict[str, RefillRow]] = defaultdict(dict)
        for refill in refills:
            if refill.provider_refill_id and refill.state in OPEN_REFILL_STATES:
                by_provider[refill.provider][refill.provider_refill_id] = refill
        if not by_provider:
            return []
        order_ids = {r.order_id for part in by_provider.values() for r in part.values()}
        orders = {row.id: row for row in await self.store.get_orders(order_ids)}

        async def one(name: str, wanted: dict[str, RefillRow]) -> list[RefillPoll]:
            provider = self.providers.get(name)
            if provider is None:
                return [RefillPoll(r, False) for r in wanted.values()]
            answers = await provider.refill_status(list(wanted))
            polls = []
            for provider_id, before in wanted.items():
                answer = answers.get(provider_id)
                if answer is None or isinstance(answer, _NOT_ABOUT_THE_REFILL):
                    polls.append(RefillPoll(before, False))
                    continue
                error: str | None
                if isinstance(answer, ProviderError):
                    state, raw, error = RefillState.FAILED.value, before.status_raw, answer.message
                else:
                    state, raw, error = answer.state.value, answer.raw_status, before.error
                if (state, raw, error) == (before.state, before.status_raw, before.error):
                    polls.append(RefillPoll(before, True))
                    continue
                async with self.store.transaction() as tx:
                    after = await self.store.update_refill(
                        before.id, state=state, status_raw=raw, error=error, tx=tx
                    )
                    order = orders[after.order_id]
                    await events.record(self.store, tx, [events.refill_event(order, after)])
                polls.append(RefillPoll(after, True))
            return polls

        parts = await all_of(one(name, wanted) for name, wanted in by_provider.items())
        return [poll for part in parts for poll in part]
