"""Read every answer shape panels send (PANELS.md, "Quirks") into the shared models.

The parsers are deliberately tolerant: numbers as strings or numbers, booleans in any spelling,
lists wrapped in objects, per-item errors as objects or bare strings, odd field names. What they
cannot read becomes a `ProviderError` for that item, never an exception that escapes a batch.
Amounts in text follow `providers.amounts`: decimal commas and grouped thousands are read, and
an ambiguous ``"1,234"`` fails only the item it is in. Service lists are read in
`providers.service_parsing` (imported here too); the common status and ``add`` shapes are built
by `providers.fast_answers`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from providers import fast_answers
from providers.errors import ProviderError, classify_error_text, error_from_text
from providers.models import (
    Balance,
    CancelResult,
    Money,
    OrderState,
    OrderStatus,
    PlacedOrder,
    Refill,
    RefillState,
    RefillStatus,
    to_bool,
    to_id,
)
from providers.service_parsing import SERVICE_FIELDS as SERVICE_FIELDS
from providers.service_parsing import parse_service as parse_service
from providers.service_parsing import parse_services as parse_services
from providers.service_parsing import unwrap_list as unwrap_list

log = logging.getLogger(__name__)
_text = fast_answers.text


def _reason(exc: ValueError) -> str:
    """What was wrong, without pydantic's links: ``"amount: ambiguous amount: '1,234' ..."``."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return str(exc)


def error_text(value: object) -> str | None:
    """The error text of a per-item answer (``{"error": ...}`` or a bare error string)."""
    if isinstance(value, Mapping) and "error" in value:
        return _text(value["error"]) or "unknown error"
    if isinstance(value, str) and " " in value.strip():
        return value.strip()
    return None


def is_failure(answer: object, success_keys: tuple[str, ...]) -> str | None:
    """The text of a top-level failure: an object with ``error`` and none of the success keys."""
    if not isinstance(answer, Mapping) or "error" not in answer:
        return None
    if any(key in answer for key in success_keys):
        return None
    return _text(answer["error"]) or "unknown error"


def parse_placed(answer: object) -> PlacedOrder:
    """The placed order's id (and whatever else the panel said, as extras)."""
    if isinstance(answer, Mapping):
        placed = fast_answers.placed(answer)
        if placed is not None:
            return placed
    return parse_placed_validated(answer)


def parse_placed_validated(answer: object) -> PlacedOrder:
    """`parse_placed` through pydantic's validation."""
    if isinstance(answer, Mapping) and answer.get("order") not in (None, ""):
        extras = {k: v for k, v in answer.items() if k != "order"}
        return PlacedOrder(order=answer["order"], extras=extras)
    raise ProviderError(f"unexpected answer to add: {str(answer)[:200]}")


def parse_status(order_id: str, item: object, currency: str) -> OrderStatus | ProviderError:
    """One order's status, or the error the panel gave for it.

    The common shapes are read by `fast_answers.status`; the rest (and every error) by
    `parse_status_validated`, which gives the same models.
    """
    if (type(item) is dict or isinstance(item, Mapping)) and "error" not in item:
        status = fast_answers.status(order_id, item, currency)
        if status is not None:
            return status
    return parse_status_validated(order_id, item, currency)


def parse_status_validated(
    order_id: str, item: object, currency: str
) -> OrderStatus | ProviderError:
    """`parse_status` through pydantic's validation of every field."""
    text = error_text(item)
    if text is not None or not isinstance(item, Mapping):
        return error_from_text(text or f"unexpected status answer: {item!r}")
    try:
        charge = item.get("charge")
        money = None
        if charge not in (None, ""):
            money = Money(amount=charge, currency=_text(item.get("currency")) or currency)
        raw = _text(item.get("status"))
        return OrderStatus(
            order=order_id,
            state=OrderState.parse(raw),
            raw_status=raw,
            charge=money,
            start_count=item.get("start_count"),
            remains=item.get("remains"),
            extras={k: v for k, v in item.items() if k not in fast_answers.STATUS_KNOWN},
        )
    except (ValidationError, ValueError) as exc:
        return ProviderError(f"unreadable status for order {order_id}: {_reason(exc)}")


def parse_status_batch(
    ids: list[str], answer: object, currency: str
) -> dict[str, OrderStatus | ProviderError]:
    """A multi-status answer: an object keyed by id, or (some panels) a list with ``order``."""
    by_id: dict[str, object] = {}
    if isinstance(answer, Mapping):
        by_id = _ids(answer.items())
    elif isinstance(answer, list):
        by_id = _ids((i["order"], i) for i in answer if isinstance(i, Mapping) and "order" in i)
    return {i: parse_status(i, by_id[i], currency) for i in ids if i in by_id}


def _refill_id(order_id: str, value: object) -> Refill | ProviderError:
    text = error_text(value)
    if text is not None:
        return error_from_text(text)
    try:
        return Refill(order=order_id, refill=value)
    except ValidationError:
        return ProviderError(f"unexpected refill answer: {value!r}")


def parse_refill(order_id: str, answer: object) -> Refill | ProviderError:
    """``{"refill": "1"}``, ``{"refill": 1, "success": ...}`` or an error."""
    if isinstance(answer, Mapping) and "refill" in answer:
        return _refill_id(order_id, answer["refill"])
    return error_from_text(error_text(answer) or f"unexpected refill answer: {answer!r}")


def _ids(pairs: Iterable[tuple[object, Any]]) -> dict[str, Any]:
    """Items by canonical id; an item whose id cannot be read is left out (and so reported
    as missing for the ids asked), never an exception."""
    found = {}
    for raw, item in pairs:
        try:
            found[to_id(raw)] = item
        except ValueError:
            log.warning("skipping an answer item with an unreadable id: %r", raw)
    return found


def _items(answer: object, id_key: str) -> dict[str, Mapping[str, Any]]:
    if isinstance(answer, Mapping) and id_key not in answer:
        answer = next((v for v in answer.values() if isinstance(v, list)), [])
    if not isinstance(answer, list):
        return {}
    return _ids((i[id_key], i) for i in answer if isinstance(i, Mapping) and id_key in i)


def parse_refill_batch(ids: list[str], answer: object) -> dict[str, Refill | ProviderError]:
    items = _items(answer, "order")
    return {i: _refill_id(i, items[i].get("refill")) for i in ids if i in items}


def parse_refill_status(refill_id: str, item: object) -> RefillStatus | ProviderError:
    """``{"status": "Completed"}``, a bare status text, or an error (object or bare text)."""
    if isinstance(item, Mapping) and "status" not in item:
        return error_from_text(error_text(item) or f"unexpected refill status answer: {item!r}")
    value = item["status"] if isinstance(item, Mapping) else item
    if isinstance(value, Mapping):
        return error_from_text(error_text(value) or f"unexpected refill status: {value!r}")
    raw = _text(value).strip()
    if not raw:
        return ProviderError(f"unexpected refill status answer: {item!r}")
    state = RefillState.parse(raw)
    if state is RefillState.UNKNOWN and classify_error_text(raw) is not ProviderError:
        return error_from_text(raw)
    return RefillStatus(refill=refill_id, state=state, raw_status=raw)


def parse_refill_status_batch(
    ids: list[str], answer: object
) -> dict[str, RefillStatus | ProviderError]:
    items = _items(answer, "refill")
    return {i: parse_refill_status(i, items[i]) for i in ids if i in items}


def _cancel_item(order_id: str, value: object) -> CancelResult | ProviderError:
    text = error_text(value)
    if text is not None:
        return error_from_text(text)
    try:
        if to_bool(value):
            return CancelResult(order=order_id)
    except ValueError:
        pass
    return ProviderError(f"the panel did not accept the cancel: {value!r}")


def parse_cancel_batch(ids: list[str], answer: object) -> dict[str, CancelResult | ProviderError]:
    """``[{order, cancel}]``, ``{"canceled": [ids]}``, ``{"success": ...}`` or ``{"cancel": 1}``
    (the last for a single id)."""
    if isinstance(answer, Mapping):
        for key in ("canceled", "cancelled"):
            if isinstance(answer.get(key), list):
                accepted = set(_ids((i, i) for i in answer[key]))
                return {
                    i: CancelResult(order=i)
                    if i in accepted
                    else ProviderError(f"the panel did not cancel order {i}")
                    for i in ids
                }
        if len(ids) == 1 and ("cancel" in answer or "success" in answer):
            return {ids[0]: _cancel_item(ids[0], answer.get("cancel", answer.get("success")))}
    items = _items(answer, "order")
    return {i: _cancel_item(i, items[i].get("cancel")) for i in ids if i in items}


def parse_balance(answer: object, currency: str) -> Balance:
    """The balance, or a `ProviderError` when it cannot be read (``"1,234"`` is ambiguous)."""
    if isinstance(answer, Mapping) and answer.get("balance") not in (None, ""):
        try:
            return Balance(
                amount=answer["balance"], currency=_text(answer.get("currency")) or currency
            )
        except ValidationError as exc:
            raise ProviderError(f"unreadable balance: {_reason(exc)}") from None
    raise ProviderError(f"unexpected balance answer: {str(answer)[:200]}")
