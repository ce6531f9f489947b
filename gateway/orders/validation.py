"""An order's fields checked against its service type, and what makes two requests the same."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from gateway.catalog import Group
from gateway.orders.errors import InvalidOrder
from gateway.routing import Need, Quote
from providers.amounts import UnreadableAmount
from providers.models import OrderRequest
from providers.order_text import INCORRECT_LINK


def fingerprint(group_id: int, fields: Mapping[str, Any], needs: frozenset[Need]) -> str:
    """A hash of what makes two requests the same order, taken from the fields as sent."""
    sent = {k: str(v) for k, v in fields.items() if v is not None and k not in ("service", "type")}
    canonical = json.dumps(
        {"service": group_id, "fields": sent, "needs": sorted(needs)}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class InvalidLink(InvalidOrder):
    """The link is none panels would take: answered with their own ``Incorrect link``."""

    code = "INVALID_LINK"
    field = "link"


def _problem(error: Mapping[str, Any]) -> str:
    """One refusal in our words: our validators' sentences as written, any other (a number
    that is none, a wrong type) as ``Incorrect <field>``, never the validator library's text
    or the value given (which may be 5,000 digits long)."""
    where = ".".join(map(str, error["loc"]))
    # A number that is none: the readers' sentences quote it, as an operator reading a panel's
    # answer wants; a client is told which field.
    unreadable = isinstance(error.get("ctx", {}).get("error"), UnreadableAmount)
    if error["type"] == "value_error" and not unreadable:
        text = str(error["msg"]).removeprefix("Value error, ")
        return f"{text} ({where})" if where and where not in text else text
    return f"Incorrect {where or 'order'}"


def build_request(group: Group, fields: Mapping[str, Any]) -> OrderRequest:
    """The order's fields validated for the group's service type."""
    data = {k: v for k, v in fields.items() if v is not None and k not in ("service", "type")}
    try:
        return OrderRequest(service=str(group.id), service_type=group.type, **data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(e["loc"] == ("link",) for e in errors):
            raise InvalidLink(INCORRECT_LINK) from None
        raise InvalidOrder("; ".join(dict.fromkeys(_problem(e) for e in errors))) from None


def no_candidate_message(decision: Quote, most: int | None = None) -> str:
    """Why no member of the group could take the order, in one sentence; `most` is the largest
    quantity the order may have when that is not the group's one-member maximum (a split's)."""
    reasons = sorted({e.reason.value for e in decision.excluded})
    group = decision.group
    quantity = decision.request.units
    low = decision.request.min
    if low is not None and (low < group.min or quantity > group.max):
        return f"Min and max must be between {group.min} and {group.max}"
    high = group.max if most is None else most
    if quantity < group.min or quantity > high:
        return f"Quantity must be between {group.min} and {high}"
    return "no provider can take this order: " + "; ".join(reasons)
