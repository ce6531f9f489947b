"""The v2 actions over the gateway core, each answering in the seed's shape.

Every handler takes a `Call` and returns the JSON answer, or raises `V2Error` with a panel
text. Batch actions take ``orders``/``refills`` (a comma list of up to 100 ids) or the single
``order``/``refill``; an id that is not a number is answered like an unknown one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from gateway.auth import Scope
from gateway.orders.outcomes import REFILL_REFUSED, Outcome
from gateway.rest import v2_accounts as accounts
from gateway.rest import v2_texts as texts
from gateway.rest.v2_add import add
from gateway.rest.v2_call import Call, V2Error, parse_id
from gateway.rest.v2_services import service_list
from gateway.rest.v2_shapes import money_text, refill_status_text, status_entry

__all__ = ["ACTIONS", "Call", "Handler", "V2Error", "services"]


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


# -- services ------------------------------------------------------------------------


async def services(call: Call) -> list[dict[str, Any]]:
    """The answer as computed afresh (`v2_services` keeps it rendered)."""
    account = await call.account()
    snapshot = await call.gw.catalog.snapshot()
    return service_list(snapshot, await call.gw.provider_states(), account)


# -- orders ----------------------------------------------------------------------------------


async def status(call: Call) -> dict[str, Any]:
    batch, ids = _batch(call, "orders", "order")
    principal = call.principal
    outcomes = await call.gw.orders.status(
        _known(ids), principal.read_owner, parts=principal.operator
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
            return {"error": outcome.shown or REFILL_REFUSED}
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
        for o in await call.gw.orders.refill_status(_known(ids), call.principal.read_owner)
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
        if outcome.shown is not None:
            return {"error": outcome.shown}
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
