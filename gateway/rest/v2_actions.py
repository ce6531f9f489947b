"""The v2 actions over the gateway core, each answering in the seed's shape.

Every handler takes a `Call` and returns the JSON answer, or raises `V2Error` with a panel
text. Batch actions take ``orders``/``refills`` (a comma list of up to 100 ids) or the single
``order``/``refill``; an id that is not a number is answered like an unknown one.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.accounts.errors import AccountRefused
from gateway.auth import Principal, Scope
from gateway.context import AppContext
from gateway.core import Gateway
from gateway.orders import (
    IdempotencyConflict,
    IdempotencyPending,
    InvalidOrder,
    NoEligibleProvider,
    OrderError,
    ServiceNotFound,
)
from gateway.orders.drip import DRIP_FIELDS
from gateway.orders.outcomes import Outcome
from gateway.rest import v2_accounts as accounts
from gateway.rest import v2_texts as texts
from gateway.rest.v2_services import service_list
from gateway.rest.v2_shapes import GroupView, money_text, refill_status_text, status_entry
from gateway.store import GatewayState, OrderRow
from gateway.store.rows import AccountRow
from providers.models import OPTIONAL_FIELDS, PACKAGE_TYPES, REQUIRED_FIELDS, ServiceType

_ID = re.compile(r"[0-9]{1,18}")
_DRIPFEED = ("runs", "interval")
# Every field some service type takes: an order's fields as sent, whatever its type.
_ORDER_FIELDS = frozenset(
    name
    for table in (REQUIRED_FIELDS, OPTIONAL_FIELDS)
    for names in table.values()
    for name in names
)


class V2Error(Exception):
    """Answered as ``{"error": text}``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated v2 call."""

    context: AppContext
    principal: Principal
    fields: Mapping[str, str]
    idempotency_key: str | None = None

    @property
    def gw(self) -> Gateway:
        return self.context.gateway

    def field(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    async def account(self) -> AccountRow | None:
        """The caller's client account, as a read begun after the call arrived found it (one
        read shared by the calls that arrive during another: `gateway.account_reads`); None
        for the operator's own keys."""
        if self.principal.account_id is None:
            return None
        account = await self.context.accounts.get(self.principal.account_id)
        if account is None:  # the key outlived its account: no key of anyone's
            raise V2Error(texts.INVALID_KEY)
        return account


def parse_id(token: str) -> int | None:
    token = token.strip()
    return int(token) if _ID.fullmatch(token) else None


def id_list(text: str) -> list[tuple[str, int | None]]:
    """``"1, 2,x"`` as ``[("1", 1), ("2", 2), ("x", None)]``; at most `MAX_IDS` distinct."""
    tokens = list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if len(tokens) > texts.MAX_IDS:
        raise V2Error(texts.TOO_MANY_IDS)
    return [(token, parse_id(token)) for token in tokens]


def _echo(token: str, parsed: int | None) -> int | str:
    """An id as a batch answer repeats it: the integer, or the text that was not one."""
    return parsed if parsed is not None else token


def _batch(call: Call, plural: str, single: str) -> tuple[bool, list[tuple[str, int | None]]]:
    """(whether the batch form was used, the ids)."""
    if call.field(plural):
        return True, id_list(call.field(plural))
    if call.field(single):
        return False, [(call.field(single), parse_id(call.field(single)))]
    raise V2Error(texts.INCORRECT_REQUEST)


def _known(ids: list[tuple[str, int | None]]) -> list[int]:
    return [i for _, i in ids if i is not None]


async def _addressed(
    call: Call,
    act: Callable[[list[int], str | None], Awaitable[list[Outcome]]],
    ids: list[tuple[str, int | None]],
) -> list[Outcome]:
    """`act` (refill or cancel) for the orders the caller may address: a client's split
    parts answer as unknown orders."""
    principal = call.principal
    return await call.gw.orders.addressed(
        act, _known(ids), principal.order_owner, parts=principal.operator
    )


# -- services and add ------------------------------------------------------------------------


async def services(call: Call) -> list[dict[str, Any]]:
    """The answer as computed afresh (`v2_services` keeps it rendered)."""
    account = await call.account()
    snapshot = await call.gw.catalog.snapshot()
    return service_list(snapshot, await call.gw.provider_states(), account)


def order_fields(kind: ServiceType, given: Mapping[str, str]) -> dict[str, str]:
    """The fields of `given` that an order of `kind` takes; others are ignored, as panels do,
    except drip-feed fields on a type without drip-feed, which would change the order."""
    accepted = {*REQUIRED_FIELDS[kind], *OPTIONAL_FIELDS.get(kind, ())}
    if any(given.get(f, "").strip() for f in _DRIPFEED) and not set(_DRIPFEED) <= accepted:
        raise V2Error(texts.NO_DRIPFEED)
    return {k: v for k, v in given.items() if k in accepted and v.strip()}


def sent_order_fields(given: Mapping[str, str]) -> dict[str, str]:
    """The order fields of a call as sent, before the catalog says which its service takes:
    what an idempotency key is fingerprinted from, so a retry matches whatever the catalog
    says today."""
    return {k: v for k, v in given.items() if k in _ORDER_FIELDS and v.strip()}


async def add(call: Call) -> dict[str, Any]:
    service_id = parse_id(call.field("service"))
    if service_id is None:
        raise V2Error(texts.INCORRECT_SERVICE)
    sent = sent_order_fields(call.fields)
    key = call.idempotency_key
    try:
        if key is not None:
            # A retry is answered before today's catalog is asked: its order stands even if
            # the service left since or its limits changed.
            known = await call.gw.orders.answered(call.principal.client_id, key, service_id, sent)
            if known is not None:
                return _added(known)
        row = await _place(call, service_id, sent)
    except IdempotencyPending:
        raise V2Error(texts.ORDER_IN_PROGRESS) from None
    except IdempotencyConflict:
        raise V2Error(texts.KEY_REUSED) from None
    except OrderError as exc:
        raise V2Error(exc.message) from None
    return _added(row)


async def _place(call: Call, service_id: int, sent: Mapping[str, str]) -> OrderRow:
    account = await call.account()
    snapshot = await call.gw.catalog.snapshot()
    group = snapshot.groups.get(service_id)
    if group is None:
        raise V2Error(texts.INCORRECT_SERVICE)

    known: list[tuple[int, int]] = []
    fields = order_fields(group.type, call.fields)
    splits = group.type not in PACKAGE_TYPES and not any(f in fields for f in DRIP_FIELDS)

    async def limits() -> tuple[int, int]:
        # What the members that can take orders now accept, together when the order would be
        # split across providers: read once, and only when needed.
        if not known:
            view = GroupView.of(group, await call.gw.provider_states())
            if view is None:
                known.append((group.min, group.max))
            else:
                known.append((view.min, view.split_max if splits else view.max))
        return known[0]

    required = REQUIRED_FIELDS[group.type]
    if "link" in required and "link" not in fields:
        raise V2Error(texts.LINK_REQUIRED)
    if "quantity" in required:
        # Above the largest member's maximum is not refused here: the core splits such an
        # order across providers when together they can take it, else says no as below.
        # At or above every member's minimum, no provider's state can make it too small.
        quantity = parse_id(fields.get("quantity", ""))
        floor = max([group.min, *(m.service.min for m in group.members)])
        if quantity is None or (quantity < floor and quantity < (await limits())[0]):
            raise V2Error(texts.quantity_text(*await limits()))
    try:
        return await call.gw.orders.place(
            snapshot, call.principal.client_id, service_id, fields,
            idempotency_key=call.idempotency_key, as_sent=sent, account=account,
            key_id=call.principal.key_id,  # the key's own routing policy, if it has one
        )  # fmt: skip
    except AccountRefused as exc:
        raise V2Error(accounts.refusal_text(exc)) from None
    except ServiceNotFound:
        raise V2Error(texts.INCORRECT_SERVICE) from None
    except NoEligibleProvider as exc:
        raise V2Error(texts.no_candidate_text(exc.quote, *await limits())) from None
    except InvalidOrder as exc:
        if "quantity" in exc.message:
            raise V2Error(texts.quantity_text(*await limits())) from None
        raise V2Error(exc.message) from None


def _added(row: OrderRow) -> dict[str, Any]:
    if row.state == GatewayState.FAILED:
        raise V2Error(texts.failed_text(row.attempts))
    return {"order": row.id}


# -- orders ----------------------------------------------------------------------------------


async def status(call: Call) -> dict[str, Any]:
    batch, ids = _batch(call, "orders", "order")
    principal = call.principal
    outcomes = await call.gw.orders.status(
        _known(ids), principal.order_owner, parts=principal.operator
    )
    rows = {o.order_id: o.order for o in outcomes if o.order is not None}
    base = call.gw.base_currency
    to_base = call.gw.settings.rate_to_base

    def one(order_id: int | None) -> dict[str, Any]:
        row = rows.get(order_id) if order_id is not None else None
        if row is None:
            return {"error": texts.INCORRECT_ORDER}
        entry = status_entry(row, base, to_base)
        # An account's order costs what its client pays, whoever asks: never the wholesale charge.
        return entry if row.account_id is None else accounts.client_status(row, entry, base)

    if not batch:
        answer = one(ids[0][1])
        if "error" in answer:
            raise V2Error(answer["error"])
        return answer
    return {str(i) if i is not None else token: one(i) for token, i in ids}


async def refill(call: Call) -> Any:
    batch, ids = _batch(call, "orders", "order")
    outcomes = {o.order_id: o for o in await _addressed(call, call.gw.orders.refill, ids)}

    def one(order_id: int | None) -> int | dict[str, str]:
        outcome = outcomes.get(order_id) if order_id is not None else None
        if outcome is None or outcome.order is None:
            return {"error": texts.INCORRECT_ORDER}
        if outcome.refill is None:
            return {"error": outcome.error or "Order not eligible for refill."}
        return outcome.refill.id

    if not batch:
        answer = one(ids[0][1])
        if isinstance(answer, dict):
            raise V2Error(answer["error"])
        return {"refill": str(answer)}
    return [{"order": _echo(token, i), "refill": one(i)} for token, i in ids]


async def refill_status(call: Call) -> Any:
    batch, ids = _batch(call, "refills", "refill")
    outcomes = {
        o.refill_id: o
        for o in await call.gw.orders.refill_status(_known(ids), call.principal.order_owner)
    }

    def one(refill_id: int | None) -> str | dict[str, str]:
        outcome = outcomes.get(refill_id) if refill_id is not None else None
        if outcome is None or outcome.refill is None:
            return {"error": texts.REFILL_NOT_FOUND}
        return refill_status_text(outcome.refill)

    if not batch:
        answer = one(ids[0][1])
        if isinstance(answer, dict):
            raise V2Error(answer["error"])
        return {"status": answer}
    return [{"refill": _echo(token, i), "status": one(i)} for token, i in ids]


async def cancel(call: Call) -> list[dict[str, Any]]:
    _, ids = _batch(call, "orders", "order")
    outcomes = {o.order_id: o for o in await _addressed(call, call.gw.orders.cancel, ids)}

    def one(order_id: int | None) -> int | dict[str, str]:
        outcome = outcomes.get(order_id) if order_id is not None else None
        if outcome is None or outcome.order is None:
            return {"error": texts.INCORRECT_ORDER}
        if outcome.error is not None:
            return {"error": outcome.error}
        return 1

    return [{"order": _echo(token, i), "cancel": one(i)} for token, i in ids]


async def balance(call: Call) -> dict[str, str]:
    """A client account's funds for its keys; otherwise the operator's funds at every panel,
    for ops and admin keys only, complete or refused."""
    account = await call.account()
    if account is not None:
        return accounts.balance_entry(account)
    if not call.principal.operator:
        raise V2Error(texts.NO_CLIENT_BALANCE)
    balances = await call.gw.balances.fetch()
    if not balances.providers or any(b.error is not None for b in balances.providers):
        raise V2Error(texts.BALANCE_INCOMPLETE)
    return {"balance": money_text(balances.total.amount), "currency": balances.total.currency}


Handler = Callable[[Call], Awaitable[Any]]

ACTIONS: Mapping[str, tuple[Scope, Handler]] = {
    "services": (Scope.READ, services),
    "add": (Scope.ORDER, add),
    "status": (Scope.READ, status),
    "refill": (Scope.ORDER, refill),
    "refill_status": (Scope.READ, refill_status),
    "cancel": (Scope.ORDER, cancel),
    "balance": (Scope.READ, balance),
}
