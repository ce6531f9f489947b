"""Placement: idempotent, recorded in the ledger before any provider is called, then sent
(`gateway.orders.sending`: failover only on answers that prove the order was not placed, an
ambiguous outcome recorded as ``UNCONFIRMED`` and never retried elsewhere).

The order's row is written once its chosen provider gives the call its turn, marked sent, in
one transaction just before the request leaves (`gateway.orders.sending`). An order of a client
account is priced with the account's list (`gateway.orders.accounting`) and its price held on
the account's funds in the order row's own transaction: a refusal (no funds, suspended, a
spend cap) rolls the row back, and no request leaves. When the account as last read has the
funds and no spend cap, that transaction is the one that marks the order sent, once the
provider gives the call its turn; otherwise it is written before a turn is asked for, so that
a refusal spends no turn of the provider's rate limit. Orders of one account arriving together
reserve their prices on the funds as read (`gateway.orders.funds_in_flight`), so the turns
refusals can spend stay within what the account's funds would pay for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway import events
from gateway.accounts.pricing import ClientPrice
from gateway.catalog import Snapshot
from gateway.orders.accounting import Accounting, refuse_suspended
from gateway.orders.drip import Drip, run_fields, wants_drip
from gateway.orders.drip_refusals import refused_drip
from gateway.orders.errors import NoEligibleProvider, ServiceNotFound
from gateway.orders.idempotency import ClaimLost, Idempotency
from gateway.orders.routing_policy import RoutingPolicies
from gateway.orders.sending import Sending
from gateway.orders.split import wants_split
from gateway.orders.split_quote import Placing, drip_placing, split_parts
from gateway.orders.validation import build_request, fingerprint, no_candidate_message
from gateway.routing import Candidate, Need, Quote, quote
from gateway.store import IdempotencyClaim, OrderRow
from gateway.store.rows import AccountRow

log = logging.getLogger(__name__)


class Placement(Drip, Sending, Idempotency, Accounting, RoutingPolicies):
    """Quoting and placing orders."""

    async def quote(
        self,
        snapshot: Snapshot,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
        *,
        policy: str | None = None,
        key_id: int | None = None,
        account: AccountRow | None = None,
        estimated: bool = True,
    ) -> Quote:
        """The eligible members ranked by the routing policy: `policy` (the request's) if given,
        else the key's (`key_id`), the `account`'s, the group's or the configuration's.
        `estimated=False` (for placing) leaves out the quality estimates a policy does not
        rank by."""
        group = snapshot.groups.get(service_id)
        if group is None:
            raise ServiceNotFound(f"unknown service {service_id}")
        request = build_request(group, fields)
        rank = await self._ranker(group, policy, key_id, account, estimated=estimated)
        states = await self._provider_states()
        lacking = self.drip_refusals.known() if request.dripfeed else frozenset()
        return quote(group, request, states, needs=needs, rank=rank, lacking_dripfeed=lacking)

    async def quote_for(
        self,
        account: AccountRow,
        snapshot: Snapshot,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
        *,
        policy: str | None = None,
        key_id: int | None = None,
    ) -> tuple[Quote, ClientPrice | None]:
        """The quote as `account` sees it: without the members its price would lose money on,
        and its client price (``None`` when no member can take the order; the quote says why).
        Ranked by `policy`, else the key's, the account's, the group's or the configuration's.

        Raises `AccountSuspended`, and `MarginBreached` when the service is unavailable to the
        account (nothing is recorded: a quote is a read).
        """
        refuse_suspended(account)
        decision = await self.quote(
            snapshot, service_id, fields, needs, policy=policy, key_id=key_id, account=account
        )
        if decision.chosen is None:
            return decision, None
        return await self._priced(account, decision, placing=False)

    async def placing(
        self,
        snapshot: Snapshot,
        decision: Quote,
        fields: Mapping[str, Any],
        needs: frozenset[Need] = frozenset(),
        *,
        policy: str | None = None,
        key_id: int | None = None,
        account: AccountRow | None = None,
    ) -> Placing:
        """How `place` would take the order `decision` quotes (`quote` or `quote_for` with the
        same arguments): the parts of a split, priced for `account` as placing them would, or
        the refusal placement would answer with. Raises `MarginBreached` as `quote_for` does."""
        if wants_split(decision, False):

            def quote_at(quantity: int) -> Awaitable[Quote]:
                other = {**fields, "quantity": quantity}
                return self.quote(snapshot, decision.group.id, other, needs, policy=policy,
                                  key_id=key_id, account=account)  # fmt: skip

            try:
                split = await split_parts(self, quote_at, decision, account, even=False,
                                          placing=False)  # fmt: skip
            except NoEligibleProvider as refused:
                return Placing(refusal=refused.message)
            return Placing(split=split)
        if wants_drip(decision):

            def quote_run() -> Awaitable[Quote]:
                return self.quote(snapshot, decision.group.id, run_fields(fields), needs,
                                  policy=policy, key_id=key_id, account=account)  # fmt: skip

            return await drip_placing(self, quote_run, decision, account)
        if decision.chosen is None:
            return Placing(refusal=no_candidate_message(decision))
        return Placing()

    async def place(
        self,
        snapshot: Snapshot,
        client_id: str,
        service_id: int,
        fields: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        needs: frozenset[Need] = frozenset(),
        as_sent: Mapping[str, Any] | None = None,
        account: AccountRow | None = None,
        policy: str | None = None,
        key_id: int | None = None,
        split: bool = False,
    ) -> OrderRow:
        """Place an order with the first eligible provider by the routing policy (`policy`,
        else the key's (`key_id`), the account's, the group's or the configuration's; cheapest
        by default); see the module docstring.

        Returns the ledger row: ``PENDING`` (or later) when a provider took it, ``UNCONFIRMED``
        when the outcome is unknown, ``FAILED`` when every attempt provably failed (its
        `attempts` say why). Raises `OrderError` for requests that never became an order.
        With an `idempotency_key`, a retry gets the key's order (`gateway.orders.idempotency`);
        the key is fingerprinted from `as_sent`, the fields as the client sent them, when the
        face filtered `fields` for the service type.

        With an `account`, the order is priced with its price list and held on its funds
        (see the module docstring); a refusal is an `AccountRefused` and leaves the key free.

        A quantity no member can take, or any with `split`, becomes one client order made of
        child orders across providers (`gateway.orders.split`); a drip-feed no member offers is
        run by the gateway (`gateway.orders.drip`).
        """
        route = _Route(policy, key_id, account, split)
        if idempotency_key is None:
            return await self._place(snapshot, client_id, service_id, fields, needs, None, route)
        # The key is looked up before anything else: a retry returns its order even if the
        # catalog changed since and the request would no longer validate.
        print_ = fingerprint(service_id, fields if as_sent is None else as_sent, needs)
        claim = await self._claim(client_id, idempotency_key, print_)
        if not claim.owner:
            return await self._answer(claim)
        try:
            return await self._place(snapshot, client_id, service_id, fields, needs, claim, route)
        except ClaimLost:
            return await self._after_lost_claim(client_id, idempotency_key, print_)
        except BaseException:
            # Only a claim of ours without an order is released: once created, the order
            # stays the key's answer whatever happens after.
            await asyncio.shield(self._release(claim))
            raise

    async def _place(
        self,
        snapshot: Snapshot,
        client_id: str,
        service_id: int,
        fields: Mapping[str, Any],
        needs: frozenset[Need],
        claim: IdempotencyClaim | None,
        route: _Route,
    ) -> OrderRow:
        account = route.account
        if account is not None:
            refuse_suspended(account)

        def requote(other: Mapping[str, Any]) -> Awaitable[Quote]:
            return self.quote(snapshot, service_id, other, needs, policy=route.policy,
                              key_id=route.key_id, account=account, estimated=False)  # fmt: skip

        decision = await requote(fields)

        planned = await self._planned(
            decision, route.split, requote, fields, client_id, needs, claim, account,
            policy=route.policy, key_id=route.key_id,
        )  # fmt: skip
        if planned is not None:
            return planned
        if decision.chosen is None:
            raise NoEligibleProvider(no_candidate_message(decision), decision)
        price = None
        if account is not None:
            decision, price = await self._priced(account, decision, placing=True)
        assert decision.chosen is not None  # pricing keeps the chosen, or raises
        chosen: Candidate = decision.chosen
        reserved = None
        if account is not None and price is not None:
            reserved = self.funds_in_flight.reserve(account, price.amount)

        async def write(sent: bool) -> OrderRow:
            # Called by `_send` once the chosen provider gives the call its turn (`sent`), or
            # before anything else is recorded of the order.
            async with self.store.transaction() as tx:
                order = await self.store.create_order(
                    client_id=client_id,
                    request=decision.request,
                    group_id=decision.group.id,
                    quoted_cost=chosen.cost.amount,
                    currency=chosen.cost.currency,
                    # Routed to the policy's first at once: one transaction less.
                    provider=chosen.offer.provider,
                    provider_service_id=chosen.offer.service.id,
                    provider_cost=chosen.provider_cost.amount,
                    provider_currency=chosen.provider_cost.currency,
                    event_data=_routed(decision),
                    sent=sent,
                    **_client_columns(account, price),
                    announce=_created,
                    tx=tx,
                )
                if account is not None and price is not None:
                    # Refused (AccountRefused): the row rolls back and no provider is called.
                    await self.store.hold(account.id, order.id, price.amount, tx=tx)
                if claim is not None and not await self._attach(claim, order.id, tx):
                    # Taken over while we were slow: roll the order back and call no provider.
                    raise ClaimLost(claim.key)
            return order

        if price is not None and reserved is None:
            # The hold may be refused (the funds as read do not cover it beside this process's
            # orders of the account in flight, or spend caps, which only the ledger's sums can
            # tell): the order is written and held before the provider is asked for a turn, so
            # that a refusal spends no turn of the rate limit every client shares.
            order = await self._send(await write(False), decision)
        else:
            try:
                order = await self._send(write, decision)
            finally:
                if reserved is not None:
                    # Kept until the order is answered, not just held: a call that read the
                    # account before this hold committed may still be on its way here.
                    reserved.release()
        if refused_drip(order, decision):
            # Members whose listing did not say turned the drip-feed down: run it ourselves.
            runs_route = {"policy": route.policy, "key_id": route.key_id}
            return await self._drip_instead(
                order, decision, requote, fields, client_id, needs, claim, account, runs_route
            )
        return order


@dataclass(frozen=True, slots=True)
class _Route:
    """What chooses an order's routing policy besides its group and the configuration."""

    policy: str | None
    key_id: int | None
    account: AccountRow | None
    split: bool = False


def _created(order: OrderRow) -> events.Event | None:
    """The outbox event of a new order, queued with its ``created`` history entry."""
    return events.order_event(None, order)


def _routed(decision: Quote) -> dict[str, Any]:
    """The history of routing: the candidates in order, and the policy unless the default."""
    data: dict[str, Any] = {"candidates": [c.offer.provider for c in decision.candidates]}
    if decision.policy != "cheapest" or decision.policy_source not in ("config", "default"):
        data.update(policy=decision.policy, policy_source=decision.policy_source)
    if decision.explored:
        data["explored"] = True
    return data


def _client_columns(account: AccountRow | None, price: ClientPrice | None) -> dict[str, Any]:
    """What an account's order row records of its client: none for the operator's keys."""
    if account is None or price is None:
        return {}
    return {
        "account_id": account.id,
        "client_rate": price.rate,
        "client_price": price.amount,
        "client_currency": price.currency,
    }
