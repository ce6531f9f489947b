"""Splitting: one client order made of child orders across providers.

A quantity above every eligible member's maximum (or a request to split) is cut into parts, one
per provider (`gateway.orders.split_plan`, ranked by the routing quote). The client order and
every child are recorded in one transaction, with the account's hold on the client order alone,
before any provider is called; then each child is sent as any order is (`gateway.orders.sending`:
failover only on proven not-placed answers, an ambiguous child ``UNCONFIRMED`` and never sent
elsewhere, while the others proceed).

The client order's status is the aggregate of its children (`gateway.orders.split_status`):
reads compute it from the ledger (`viewed`), and the child-orders job writes it to the client
order's row (`reconcile`), which settles an account's hold once it is final. Refill and cancel
fan out to the children (`fan_out`); a cancel also stops a drip's remaining runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway import events
from gateway.accounts.pricing import ClientPrice
from gateway.orders.accounting import Accounting
from gateway.orders.base import OrdersBase, all_of
from gateway.orders.idempotency import ClaimLost, Idempotency
from gateway.orders.outcomes import CANCEL_REFUSED, REFILL_REFUSED, Outcome
from gateway.orders.sending import Sending
from gateway.orders.split_plan import QuoteAt
from gateway.orders.split_quote import split_parts
from gateway.orders.split_status import DRIP, SPLIT, aggregate, as_viewed, changed, runs_left
from gateway.routing import Candidate, Exclusion, Quote
from gateway.store import GatewayState, IdempotencyClaim, OrderRow, StaleOrder
from gateway.store.rows import AccountRow
from providers.models import PACKAGE_TYPES, OrderRequest, OrderState

log = logging.getLogger(__name__)

Ask = Callable[[list[int]], Awaitable[list[Outcome]]]
CANCELED_UNSENT = "canceled before it was sent; nothing was placed or charged"


def wants_split(decision: Quote, split: bool) -> bool:
    """Whether an order is placed as a split: asked to, or too large for every member."""
    request = decision.request
    if request.quantity is None or request.dripfeed or request.service_type in PACKAGE_TYPES:
        return False
    too_large = any(e.reason is Exclusion.QUANTITY_ABOVE_MAX for e in decision.excluded)
    return split or (decision.chosen is None and too_large)


async def reconcile(orders: OrdersBase, parent: OrderRow) -> OrderRow:
    """Write the aggregate of `parent`'s children to its row (with its event) if it changed;
    returns the row as it now is. A final aggregate settles an account's hold."""
    while True:
        children = (await orders.store.children_of([parent.id])).get(parent.id, [])
        values = aggregate(parent, children, orders.base_currency)
        if not changed(parent, values):
            return parent
        try:
            return await orders._change(parent, event_kind="children", **values)
        except StaleOrder:
            parent = await orders.store.get_order(parent.id)


async def viewed(
    orders: OrdersBase, rows: Mapping[int, OrderRow]
) -> tuple[dict[int, OrderRow], list[OrderRow]]:
    """`rows` with each client order made of children shown as their aggregate, and those
    children (for the freshness of their statuses)."""
    parents = [i for i, row in rows.items() if row.plan is not None]
    if not parents:
        return dict(rows), []
    children = await orders.store.children_of(parents)
    shown = dict(rows)
    for order_id in parents:
        shown[order_id] = as_viewed(
            rows[order_id], children.get(order_id, []), orders.base_currency
        )
    return shown, [child for kids in children.values() for child in kids]


async def stop_runs(orders: OrdersBase, parent: OrderRow) -> bool:
    """Stop a drip-fed client order's runs not launched yet; whether any were left."""
    while True:
        plan = parent.plan or {}
        if plan.get("kind") != DRIP or plan.get("stopped") or runs_left(plan) <= 0:
            return False
        try:
            await orders._change(
                parent, event_kind="runs_stopped", event_data={"left": runs_left(plan)},
                plan={**plan, "stopped": True}, next_run_at=None,
            )  # fmt: skip
            return True
        except StaleOrder:
            parent = await orders.store.get_order(parent.id)


NO_CHILD = "no child order"


async def fan_out(
    orders: OrdersBase, ids: Iterable[int], client_id: str | None, ask: Ask, *, cancel: bool
) -> list[Outcome]:
    """`ask` (refill or cancel) for `ids`, a client order made of children through them: its
    answer is its first child's refill, or an error only when every child's was one. A cancel
    stops a drip's remaining runs first, and fails a child recorded but not sent yet (a run
    being launched), so that its sender finds it overtaken and sends nothing."""
    wanted = list(dict.fromkeys(ids))
    parents = {i: r for i, r in (await orders._owned(wanted, client_id)).items() if r.plan}
    if not parents:
        return await ask(wanted)
    stopped = {i: cancel and await stop_runs(orders, row) for i, row in parents.items()}
    children = await orders.store.children_of(parents)
    unsent = {
        c.id for kids in children.values() for c in kids if cancel and await _unsent(orders, c)
    }
    asked = [i for i in wanted if i not in parents]
    asked += [child.id for kids in children.values() for child in kids if child.id not in unsent]
    answers = {o.order_id: o for o in await ask(asked)}
    refused = CANCEL_REFUSED if cancel else REFILL_REFUSED
    for order_id in parents:
        kids = [answers[c.id] for c in children.get(order_id, []) if c.id in answers]
        latest = await reconcile(orders, await orders.store.get_order(order_id))
        view, _ = await viewed(orders, {order_id: latest})
        refill = next((k.refill for k in kids if k.refill is not None), None)
        never_sent = any(c.id in unsent for c in children.get(order_id, []))
        ok = stopped[order_id] or never_sent or any(k.error is None for k in kids)
        error, shown = None, None
        if not ok:
            failed = next((k for k in kids if k.error), None)
            error, shown = (failed.error, failed.client_error) if failed else (NO_CHILD, refused)
        answers[order_id] = Outcome(order_id, view[order_id], error, refill, client_error=shown)
    return [answers.get(i) or Outcome(i, None, "Incorrect order ID") for i in wanted]


async def _unsent(orders: OrdersBase, child: OrderRow) -> bool:
    """Fail `child`, canceled before it was sent; whether it was (its sender marking it sent
    first wins: it is then canceled as any order)."""
    if child.state != GatewayState.RECEIVED or child.sent_at is not None:
        return False
    attempt = {"provider": child.provider, "error": "Canceled", "message": CANCELED_UNSENT}
    try:
        await orders._change(
            child, event_kind="failed", event_data=attempt, state=GatewayState.FAILED,
            error=CANCELED_UNSENT, attempts=[*child.attempts, attempt],
        )  # fmt: skip
    except StaleOrder:
        return False
    return True


def routed_columns(candidate: Candidate | None) -> dict[str, Any]:
    if candidate is None:
        return {}
    return {
        "provider": candidate.offer.provider,
        "provider_service_id": candidate.offer.service.id,
        "quoted_cost": candidate.cost.amount,
        "currency": candidate.cost.currency,
        "provider_cost": candidate.provider_cost.amount,
        "provider_currency": candidate.provider_cost.currency,
    }


class Splitting(Sending, Idempotency, Accounting):
    """Placing client orders made of child orders, and keeping their aggregate."""

    quote: Callable[..., Awaitable[Quote]]
    """The routing quote (`gateway.orders.placement.Placement.quote`): snapshot, service id,
    fields, needs."""

    async def _record_parent(
        self,
        *,
        client_id: str,
        decision: Quote,
        plan: dict[str, Any],
        children: Sequence[tuple[OrderRequest, Candidate | None]],
        account: AccountRow | None,
        price: ClientPrice | None,
        claim: IdempotencyClaim | None,
        next_run_at: datetime | None = None,
        times: int = 1,
    ) -> tuple[OrderRow, list[OrderRow]]:
        """The client order, its `children` (routed to their candidates) and the account's
        hold, in one transaction, before any provider call. Its quoted cost is the children's,
        `times` over (a drip's first run stands for all of them)."""
        costs = [c.cost for _, c in children if c is not None]
        quoted = sum((c.amount for c in costs), Decimal(0)) * times
        client: dict[str, Any] = {}
        if account is not None and price is not None:
            client = {"account_id": account.id, "client_rate": price.rate,
                      "client_price": price.amount, "client_currency": price.currency}  # fmt: skip
        async with self.store.transaction() as tx:
            parent = await self.store.create_order(
                client_id=client_id, request=decision.request, group_id=decision.group.id,
                state=OrderState.PENDING, quoted_cost=quoted,
                currency=costs[0].currency if costs else self.base_currency,
                event_data={"plan": plan}, tx=tx, **client,
            )  # fmt: skip
            parent = await self.store.set_split_columns(
                parent.id, plan=plan, next_run_at=next_run_at, tx=tx
            )
            rows = []
            for request, candidate in children:
                child = await self.store.create_order(
                    client_id=client_id, request=request, group_id=decision.group.id,
                    event_data={"parent": parent.id}, tx=tx, **routed_columns(candidate),
                )  # fmt: skip
                rows.append(
                    await self.store.set_split_columns(child.id, parent_id=parent.id, tx=tx)
                )
            if account is not None and price is not None:
                await self.store.hold(account.id, parent.id, price.amount, tx=tx)
            created = [events.order_event(None, row) for row in (parent, *rows)]
            await events.record(self.store, tx, created)
            if claim is not None and not await self._attach(claim, parent.id, tx):
                raise ClaimLost(claim.key)
        return parent, rows

    async def _place_split(
        self,
        quote_at: QuoteAt,
        decision: Quote,
        client_id: str,
        claim: IdempotencyClaim | None,
        account: AccountRow | None,
        *,
        even: bool,
    ) -> OrderRow:
        split = await split_parts(self, quote_at, decision, account, even=even, placing=True)
        parts = split.parts
        plan: dict[str, Any] = {"kind": SPLIT, "parts": [p.quantity for p in parts]}
        if split.price is not None:
            plan["prices"] = [str(p.amount) for p in split.prices]  # each part's own, for refunds
        children = [(p.decision.request, p.candidate) for p in parts]
        parent, rows = await self._record_parent(
            client_id=client_id, decision=decision, plan=plan, children=children,
            account=account, price=split.price, claim=claim,
        )  # fmt: skip
        await all_of(self._send(row, part.decision) for row, part in zip(rows, parts, strict=True))
        return await self._parent_now(parent)

    async def _parent_now(self, parent: OrderRow) -> OrderRow:
        """The client order as it stands after its children's sends."""
        latest = await reconcile(self, await self.store.get_order(parent.id))
        shown, _ = await viewed(self, {latest.id: latest})
        return shown[latest.id]

    async def reconcile_parents(self, batch: int = 200) -> int:
        """Bring every open client order's row up to its children's aggregate; how many
        changed (those that became final settled their account's hold)."""
        changes = 0
        after = 0
        while True:
            parents = await self.store.open_parents(after, batch)
            children = await self.store.children_of(p.id for p in parents)
            for parent in parents:
                values = aggregate(parent, children.get(parent.id, []), self.base_currency)
                if changed(parent, values):
                    if parent.state == GatewayState.RECEIVED:
                        log.warning("client order %s was left RECEIVED", parent.id)
                    await reconcile(self, parent)
                    changes += 1
            if len(parents) < batch:
                return changes
            after = parents[-1].id
