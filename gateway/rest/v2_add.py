"""The v2 ``add`` action: an order's fields as its service type takes them, its quantity
checked against what the service's members take (together, when it would be split), placed
through the core and answered ``{"order": id}`` or with a panel text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.accounts.errors import AccountRefused
from gateway.orders import (
    IdempotencyConflict,
    IdempotencyPending,
    InvalidOrder,
    NoEligibleProvider,
    OrderError,
    ServiceNotFound,
)
from gateway.orders.drip import DRIP_FIELDS
from gateway.rest import v2_accounts as accounts
from gateway.rest import v2_texts as texts
from gateway.rest.v2_call import Call, V2Error, parse_id, parse_quantity
from gateway.rest.v2_shapes import GroupView
from gateway.store import GatewayState, OrderRow
from providers.models import OPTIONAL_FIELDS, PACKAGE_TYPES, REQUIRED_FIELDS, ServiceType

# Every field some service type takes: an order's fields as sent, whatever its type.
_ORDER_FIELDS = frozenset(
    name
    for table in (REQUIRED_FIELDS, OPTIONAL_FIELDS)
    for names in table.values()
    for name in names
)


def order_fields(kind: ServiceType, given: Mapping[str, str]) -> dict[str, str]:
    """The fields of `given` that an order of `kind` takes; others are ignored, as panels do,
    except drip-feed fields on a type without drip-feed, which would change the order."""
    accepted = {*REQUIRED_FIELDS[kind], *OPTIONAL_FIELDS.get(kind, ())}
    if any(given.get(f, "").strip() for f in DRIP_FIELDS) and not set(DRIP_FIELDS) <= accepted:
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
        quantity = parse_quantity(fields.get("quantity", ""))
        floor = max([group.min, *(m.service.min for m in group.members)])
        if quantity is None or (quantity < floor and quantity < (await limits())[0]):
            raise V2Error(texts.quantity_text(*await limits()))
        fields["quantity"] = str(quantity)
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
