"""Status answers built without pydantic's validation, from values read here by the validators'
own functions.

A multi-status answer carries up to 100 orders; validating each into `OrderStatus` and `Money`
costs more than everything else about reading it. `status` reads the common shapes (an object
whose ``charge``, ``start_count``, ``remains`` and ``currency`` are what panels send) with the
same readers the models' validators call (`to_decimal`, `to_optional_int`, `to_id`), applies the
checks pydantic would add after them (a finite amount, an ``int``), and builds the models with
``model_construct``: the same field values, the same fields set. Anything else (a value a reader
refuses, a key that is not text, a non-finite amount) gives ``None``, and the caller takes the
validating path, which words the error exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from providers.answers import OrderState, OrderStatus, PlacedOrder
from providers.money import Money
from providers.values import to_decimal, to_id, to_optional_int

M = TypeVar("M", bound=BaseModel)

STATUS_KNOWN = frozenset({"status", "charge", "start_count", "remains", "currency"})
"""The keys of a status object that are fields; the rest are kept as extras."""

_set = object.__setattr__
_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    model: frozenset(model.model_fields) for model in (OrderStatus, Money, PlacedOrder)
}
for _model in _FIELDS:
    # `_build` does what `model_construct` does for models with no private attributes, no
    # post-init hook, no extra fields and no root: checked here rather than assumed.
    if (
        _model.__pydantic_post_init__
        or _model.__private_attributes__
        or _model.model_config.get("extra") == "allow"
        or _model.__pydantic_root_model__
    ):
        raise TypeError(f"{_model.__name__} cannot be built by fast_answers._build")


def _build(model: type[M], values: dict[str, Any]) -> M:
    """`model.model_construct(**values)` for a model of `_FIELDS` given every field, in the
    models' field order."""
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(_FIELDS[model]))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def text(value: object) -> str:
    """A display text; ``name_lang``-style ``{"en": ..., "ru": ...}`` objects give English."""
    if type(value) is str:
        return value
    if isinstance(value, Mapping):
        for lang in ("en", "en_US", "default"):
            if value.get(lang):
                return str(value[lang])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


_REFUSED = object()


def _count(value: object) -> object:
    """`to_optional_int`, or `_REFUSED` when it refuses the value (the validating path words
    it)."""
    if value is None or type(value) is int:
        return value
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)  # as `to_int` reads plain digits
    try:
        return to_optional_int(value)
    except (ValueError, ArithmeticError):
        return _REFUSED


def status(order_id: str, item: Mapping[str, Any], currency: str) -> OrderStatus | None:
    """`item` (a status object without ``error``) as `OrderStatus`, or ``None`` when the
    validating path must read it."""
    try:
        order = to_id(order_id)
        charge = item.get("charge")
        money = None
        if charge is not None and charge != "":
            amount = to_decimal(charge)
            if not amount.is_finite():
                return None
            code = text(item.get("currency")) or currency
            money = _build(Money, {"amount": amount, "currency": code.strip().upper() or "USD"})
    except (ValueError, ArithmeticError):
        return None
    start_count = _count(item.get("start_count"))
    remains = _count(item.get("remains"))
    if start_count is _REFUSED or remains is _REFUSED:
        return None
    extras: dict[str, Any] = {}
    if not item.keys() <= STATUS_KNOWN:
        for key, value in item.items():
            if key not in STATUS_KNOWN:
                if not isinstance(key, str):
                    return None
                extras[key] = value
    raw = text(item.get("status"))
    return _build(
        OrderStatus,
        {
            "order": order,
            "state": OrderState.parse(raw),
            "raw_status": raw,
            "charge": money,
            "start_count": start_count,
            "remains": remains,
            "extras": extras,
        },
    )


def placed(answer: Mapping[str, Any]) -> PlacedOrder | None:
    """An ``add`` answer with a readable ``order`` as `PlacedOrder`, or ``None`` when the
    validating path must read it."""
    order = answer.get("order")
    if order is None or order == "":
        return None
    try:
        order = to_id(order)
    except (ValueError, ArithmeticError):
        return None
    extras: dict[str, Any] = {}
    for key, value in answer.items():
        if key != "order":
            if not isinstance(key, str):
                return None
            extras[key] = value
    return _build(PlacedOrder, {"order": order, "extras": extras})
