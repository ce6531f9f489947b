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
from providers.models import OrderRequest


def fingerprint(group_id: int, fields: Mapping[str, Any], needs: frozenset[Need]) -> str:
    """A hash of what makes two requests the same order, taken from the fields as sent."""
    sent = {k: str(v) for k, v in fields.items() if v is not None and k not in ("service", "type")}
    canonical = json.dumps(
        {"service": group_id, "fields": sent, "needs": sorted(needs)}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_request(group: Group, fields: Mapping[str, Any]) -> OrderRequest:
    """The order's fields validated for the group's service type."""
    data = {k: v for k, v in fields.items() if v is not None and k not in ("service", "type")}
    try:
        return OrderRequest(service=str(group.id), service_type=group.type, **data)
    except ValidationError as exc:
        problems = "; ".join(
            str(e["msg"]).removeprefix("Value error, ")
            + (f" ({'.'.join(map(str, e['loc']))})" if e["loc"] else "")
            for e in exc.errors()
        )
        raise InvalidOrder(problems) from None


def no_candidate_message(decision: Quote) -> str:
    """Why no member of the group could take the order, in one sentence."""
    reasons = sorted({e.reason.value for e in decision.excluded})
    group = decision.group
    quantity = decision.request.units
    if quantity < group.min or quantity > group.max:
        return f"Quantity must be between {group.min} and {group.max}"
    return "no provider can take this order: " + "; ".join(reasons)
