"""Drip-feed emulation: the gateway runs a drip-feed itself when no member offers one.

A request with `runs` and `interval` that no member can take as a drip-feed (each lacks it:
`Exclusion.NO_DRIPFEED`; or each it was sent to refused it, `gateway.orders.drip_refusals`,
the refused attempt left as a ``FAILED`` order), but some member can take one run of, becomes
a client order of `runs` child orders of `quantity` each, one every `interval` minutes. The
client order carries the plan (``{"kind": "drip", "runs", "interval", "quantity", "launched",
"needs"}``) and the next run's time (``next_run_at``); both live in the ledger, so the
schedule survives restarts.

Placement records the client order, its account hold (for every run) and the first run, then
sends that run. The child-orders job (`gateway.workers.drip`) claims the client orders whose
next run is due (`Store.claim_due_runs`), records each run under its client order with the
plan's count moved on (one transaction, against the row as claimed, so a run is launched once),
routes it by the ranking of the moment and sends it; a run falls due only once the run before
it is final (panels refuse a second order on a link with one running), else it is tried again
a minute later (an ``UNCONFIRMED`` run holds the next ones until resolved); so is a run no member
can take for the moment (each in cooldown, short of funds or with a stale catalog), rather than
failed for good. A run that failed with proof that nothing was placed is launched again, a
bounded number of times (`gateway.orders.drip_replace`); one whose outcome is unknown never is.
An account's order is priced run by run: the hold is the runs times one run's price (kept in
the plan, ``"price"``), and each later run is routed for the account (by the client's routing
policy or key, kept in the plan) to members whose one-run cost that price keeps the margin on;
with none left, the run fails as not placed (and is tried again, as above) and its price is
refunded at settlement if it never is placed. A cancel stops the runs left
(`gateway.orders.split.stop_runs`): they count as undelivered, refunded with the rest.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from gateway import events
from gateway.accounts.pricing import PriceList
from gateway.catalog import Snapshot
from gateway.orders.accounting import price_list
from gateway.orders.drip_refusals import refusing_offers
from gateway.orders.drip_replace import RUN_RETRY, replace_run
from gateway.orders.errors import NoEligibleProvider, OrderError
from gateway.orders.split import Splitting, reconcile, routed_columns, wants_split
from gateway.orders.split_status import DRIP, counted, runs_left
from gateway.orders.validation import no_candidate_message
from gateway.routing import Excluded, Exclusion, Need, Quote
from gateway.store import IdempotencyClaim, OrderRow, StaleOrder
from gateway.store.rows import AccountRow
from gateway.store.states import is_final

log = logging.getLogger(__name__)

_FOR_THE_MOMENT = frozenset(
    {Exclusion.PROVIDER_COOLDOWN, Exclusion.INSUFFICIENT_BALANCE, Exclusion.CATALOG_STALE}
)
"""Why a member cannot take a run now but may take it later."""
DRIP_FIELDS = ("runs", "interval")
_NOT_FIELDS = ("service", "service_type", *DRIP_FIELDS)


def wants_drip(decision: Quote) -> bool:
    """Whether a drip-feed request can only be run by the gateway: no member offers it."""
    request = decision.request
    lacking = any(e.reason is Exclusion.NO_DRIPFEED for e in decision.excluded)
    return request.dripfeed and request.quantity is not None and decision.chosen is None and lacking


def _for_the_moment(decision: Quote) -> bool:
    """Whether a member `decision` leaves out may take the run later (see `_FOR_THE_MOMENT`)."""
    return any(e.reason in _FOR_THE_MOMENT for e in decision.excluded)


def run_fields(request: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of one run of a drip-fed request (as stored): without runs and interval."""
    return {k: v for k, v in request.items() if k not in _NOT_FIELDS}


def within_margin(decision: Quote, prices: PriceList, run_price: Decimal) -> Quote:
    """`decision` without the members whose cost for one run `run_price` would lose money on
    (moved to `excluded` with `Exclusion.MARGIN_BREACHED`): a later run is charged the price
    the first one was, whatever its member costs now."""
    breaking = [c for c in decision.candidates if run_price < prices.floor(c.cost.amount)]
    if not breaking:
        return decision
    left_out = tuple(
        Excluded(
            c.offer, Exclusion.MARGIN_BREACHED,
            f"cost {c.cost.amount:f} needs at least {prices.floor(c.cost.amount):f}"
            f", price {run_price:f}",
        )
        for c in breaking
    )  # fmt: skip
    gone = {id(c) for c in breaking}
    kept = tuple(c for c in decision.candidates if id(c) not in gone)
    return replace(decision, candidates=kept, excluded=decision.excluded + left_out)


class Drip(Splitting):
    """Placing drip-fed client orders, and launching their runs when due."""

    async def _planned(
        self,
        decision: Quote,
        split: bool,
        requote: Callable[[Mapping[str, Any]], Awaitable[Quote]],
        fields: Mapping[str, Any],
        client_id: str,
        needs: frozenset[Need],
        claim: IdempotencyClaim | None,
        account: AccountRow | None,
        *,
        policy: str | None = None,
        key_id: int | None = None,
    ) -> OrderRow | None:
        """A client order made of child orders when `decision` calls for one (a split, or a
        drip-feed the gateway runs itself), placed; else ``None``. `requote` quotes other
        `fields` of the same service as the client's request is quoted (by `policy`, else the
        key's, `key_id`: a drip's later runs are routed by them too)."""
        if wants_split(decision, split):

            def quote_at(quantity: int) -> Awaitable[Quote]:
                return requote({**fields, "quantity": quantity})

            return await self._place_split(
                quote_at, decision, client_id, claim, account, even=split
            )
        if wants_drip(decision):
            per_run = await requote(run_fields(fields))
            route = {"policy": policy, "key_id": key_id}
            return await self._place_drip(
                per_run, decision, client_id, needs, claim, account, route
            )
        return None

    async def _drip_instead(
        self,
        failed: OrderRow,
        decision: Quote,
        requote: Callable[[Mapping[str, Any]], Awaitable[Quote]],
        fields: Mapping[str, Any],
        client_id: str,
        needs: frozenset[Need],
        claim: IdempotencyClaim | None,
        account: AccountRow | None,
        route: Mapping[str, Any],
    ) -> OrderRow:
        """The drip-feed of `failed`, which its members refused as one (`refused_drip`), run by
        the gateway instead: a new client order, the request's idempotency key moved from the
        failed order to it. `failed` itself when no member can take a single run. The members
        that refused are noted (`DripRefusals`): the next drip-feeds skip them."""
        self.drip_refusals.note(refusing_offers(failed, decision))
        per_run = await requote(run_fields(fields))
        if per_run.chosen is None:
            return failed
        if claim is not None:  # the key stands for `failed`, provably never placed: reused
            claim = replace(claim, owner=True, order_id=failed.id)
        order = await self._place_drip(per_run, decision, client_id, needs, claim, account, route)
        log.info("order %s: drip-feed refused where sent, run as order %s", failed.id, order.id)
        return order

    async def _place_drip(
        self,
        per_run: Quote,
        decision: Quote,
        client_id: str,
        needs: frozenset[Need],
        claim: IdempotencyClaim | None,
        account: AccountRow | None,
        route: Mapping[str, Any],
    ) -> OrderRow:
        if per_run.chosen is None:
            raise NoEligibleProvider(no_candidate_message(per_run), per_run)
        request = decision.request
        assert request.runs is not None
        assert request.interval is not None
        price = None
        plan: dict[str, Any] = {
            "kind": DRIP, "runs": request.runs, "interval": request.interval,
            "quantity": per_run.request.units, "launched": 1, "needs": sorted(needs),
            **{k: v for k, v in route.items() if v is not None},
        }  # fmt: skip
        if account is not None:
            # The margin is kept run by run: one run priced (failover only to members that
            # price keeps the margin on), held for every run.
            per_run, run_price = await self._priced(account, per_run, placing=True)
            price = replace(run_price, amount=run_price.amount * request.runs)
            plan["price"] = str(run_price.amount)
        chosen = per_run.chosen
        assert chosen is not None
        later = self.clock() + timedelta(minutes=request.interval) if request.runs > 1 else None
        parent, [first] = await self._record_parent(
            client_id=client_id, decision=decision, plan=plan,
            children=[(per_run.request, chosen)], account=account, price=price, claim=claim,
            next_run_at=later, times=request.runs,
        )  # fmt: skip
        first = await self._send(first, per_run)
        await replace_run(self, parent, first, self.clock())
        return await self._parent_now(parent)

    async def _settle_interrupted(self, row: OrderRow) -> OrderRow:
        """A run a stopped process left unsent, settled ``FAILED``, is replaced like any run
        that failed unplaced."""
        settled = await super()._settle_interrupted(row)
        if settled.parent_id is not None:
            parent = await self.store.get_order(settled.parent_id)
            await replace_run(self, parent, settled, self.clock())
        return settled

    async def launch_due_runs(
        self, snapshot: Snapshot, *, now: datetime, lease: timedelta, limit: int = 50
    ) -> int:
        """Launch the run of every drip-fed client order whose next run is due by `now`;
        how many were launched."""
        launched = 0
        for parent in await self.store.claim_due_runs(now=now, lease=lease, limit=limit):
            if await self._launch_run(snapshot, parent, now):
                launched += 1
        return launched

    async def _launch_run(self, snapshot: Snapshot, parent: OrderRow, now: datetime) -> bool:
        plan = parent.plan or {}
        if plan.get("kind") != DRIP or plan.get("stopped") or runs_left(plan) <= 0:
            with contextlib.suppress(StaleOrder):  # changed meanwhile: claimed again later
                await self._change(parent, event_kind="runs_done", next_run_at=None)
            return False
        assert parent.group_id is not None
        children = counted(plan, (await self.store.children_of([parent.id])).get(parent.id, []))
        if children and not is_final(children[-1].state):
            # Panels refuse a second order on a link with one still running: the run waits.
            await self.store.reschedule_run(parent.id, now + RUN_RETRY)
            return False
        needs = frozenset(Need(n) for n in plan.get("needs", ()))
        account = None
        if parent.account_id is not None:
            account = await self.store.account_by_id(parent.account_id)
        decision: Quote | None
        try:
            decision = await self.quote(
                snapshot, parent.group_id, run_fields(parent.request), needs,
                policy=plan.get("policy"), key_id=plan.get("key_id"), account=account,
            )  # fmt: skip
        except OrderError as exc:
            log.warning("order %s: run %s could not be quoted: %s", parent.id, plan, exc)
            decision = None
        if decision is not None and account is not None and "price" in plan:
            decision = within_margin(decision, price_list(account), Decimal(plan["price"]))
        if decision is not None and decision.chosen is None and _for_the_moment(decision):
            await self.store.reschedule_run(parent.id, now + RUN_RETRY)
            return False
        launched = await self._record_run(parent, decision, now)
        if launched is None:
            return False
        child, decision = launched
        if decision is None or decision.chosen is None:
            child = await self._failed(child, [])
        else:
            child = await self._send(child, decision)
        await replace_run(self, await self.store.get_order(parent.id), child, now)
        await reconcile(self, await self.store.get_order(parent.id))
        return True

    async def _record_run(
        self, claimed: OrderRow, decision: Quote | None, now: datetime
    ) -> tuple[OrderRow, Quote | None] | None:
        """The next run's child order, recorded with the plan's count moved on; ``None`` when
        the client order moved on since it was claimed (its runs stopped, or launched)."""
        parent = claimed
        while True:
            plan = parent.plan or {}
            if plan != claimed.plan or plan.get("stopped"):
                return None
            launched = int(plan["launched"]) + 1
            later = now + timedelta(minutes=int(plan["interval"])) if runs_left(plan) > 1 else None
            chosen = decision.chosen if decision is not None else None
            request = decision.request if decision is not None else None
            try:
                async with self.store.transaction() as tx:
                    after = await self.store.update_order(
                        parent.id, event_kind="run", event_data={"run": launched},
                        expected_version=parent.version, tx=tx,
                        plan={**plan, "launched": launched}, next_run_at=later,
                    )  # fmt: skip
                    child = await self.store.create_order(
                        client_id=parent.client_id,
                        request=request or run_fields(parent.request) | {"service": "0"},
                        group_id=parent.group_id, event_data={"parent": parent.id, "run": launched},
                        tx=tx, **routed_columns(chosen),
                    )  # fmt: skip
                    child = await self.store.set_split_columns(child.id, parent_id=parent.id, tx=tx)
                    created = [events.order_event(parent, after), events.order_event(None, child)]
                    await events.record(self.store, tx, created)
                return child, decision
            except StaleOrder:
                parent = await self.store.get_order(parent.id)
