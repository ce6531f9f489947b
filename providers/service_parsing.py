"""Read a panel's service list into `Service` models (PANELS.md, "Quirks").

Field names are matched tolerantly (``"rate [Other currency ...]"``, ``name_lang`` objects,
``Drip-Feed``); the fields no spelling names are kept as extras. An entry that cannot be read is
logged and left out of the list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from providers.errors import Unavailable
from providers.fast_answers import text as _text
from providers.models import Money, Service, ServiceType, to_bool

log = logging.getLogger("providers.parsing")

__all__ = ["SERVICE_FIELDS", "parse_service", "parse_services", "unwrap_list"]

# Canonical service fields and the spellings panels use for them.
SERVICE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "id": ("service", "id", "service_id", "serviceid"),
    "name": ("name", "title", "service_name"),
    "type": ("type", "service_type"),
    "category": ("category", "category_name"),
    "rate": ("rate", "price", "rate_per_1000"),
    "min": ("min", "minimum", "min_order"),
    "max": ("max", "maximum", "max_order"),
    "refill": ("refill", "refillable"),
    "cancel": ("cancel", "cancelable", "cancellable"),
    "dripfeed": ("dripfeed", "drip_feed"),
    "description": ("desc", "description"),
}
_ALIASES = {alias: field for field, aliases in SERVICE_FIELDS.items() for alias in aliases}
_LIST_WRAPPERS = ("services", "data", "result", "items")


def _key(name: str) -> str:
    """``"rate [Other currency Separate Ticket request]"`` -> ``"rate"``; ``"Drip-Feed"`` ->
    ``"drip_feed"``."""
    head = re.split(r"[\[(]", name, maxsplit=1)[0]
    return re.sub(r"[^a-z0-9]+", "_", head.strip().lower()).strip("_")


def unwrap_list(answer: object) -> list[Any]:
    if isinstance(answer, list):
        return answer
    if isinstance(answer, Mapping):
        for key in _LIST_WRAPPERS:
            if isinstance(answer.get(key), list):
                return list(answer[key])
    raise Unavailable(f"expected a list, got {type(answer).__name__}")


def parse_service(item: Mapping[str, Any], currency: str) -> Service:
    fields: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for raw_key, value in item.items():
        field = _ALIASES.get(_key(raw_key))
        if field is None and raw_key.endswith("_lang"):
            field = _ALIASES.get(_key(raw_key[: -len("_lang")]))
        if field is None or field in fields:
            extras[raw_key] = value
        else:
            fields[field] = value
    raw_type = _text(fields.get("type")) or "Default"
    flags = {
        name: to_bool(fields[name])
        for name in ("refill", "cancel", "dripfeed")
        if fields.get(name) is not None
    }
    return Service(
        id=fields.get("id"),  # validated by the model
        name=_text(fields.get("name")),
        type=ServiceType.parse(raw_type),
        raw_type=raw_type,
        category=_text(fields.get("category")),
        rate=Money(amount=fields.get("rate"), currency=currency),
        min=fields.get("min", 1),
        max=fields.get("max", fields.get("min", 1)),
        refill=flags.get("refill", False),
        cancel=flags.get("cancel", False),
        dripfeed=flags.get("dripfeed"),
        description=_text(fields.get("description")) or None,
        extras=extras,
    )


def parse_services(answer: object, currency: str) -> list[Service]:
    """A service list; entries that cannot be read are logged and left out."""
    services = []
    for item in unwrap_list(answer):
        try:
            if not isinstance(item, Mapping):
                raise TypeError(f"not an object: {item!r}")
            services.append(parse_service(item, currency))
        except (ValidationError, ValueError, TypeError) as exc:
            log.warning("skipping unreadable service entry: %s", exc)
    return services
