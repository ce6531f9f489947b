"""Checking an `add` call's fields against its service, the way a panel does.

The checks run in the panel's order: the fields the type needs, the quantity, drip-feed, and
only then money (which `Panel` checks, as it owns the balances).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from providers.models import PACKAGE_TYPES, PER, REQUIRED_FIELDS, ServiceType

from .catalog import SimService
from .problems import PanelError, Problem

# Types whose quantity is the number of lines of one field, not a field of its own.
_COUNTED_LINES: Mapping[ServiceType, str] = {
    ServiceType.CUSTOM_COMMENTS: "comments",
    ServiceType.CUSTOM_COMMENTS_PACKAGE: "comments",
    ServiceType.COMMENT_REPLIES: "comments",
    ServiceType.MENTIONS: "usernames",
    ServiceType.MENTIONS_CUSTOM_LIST: "usernames",
}


@dataclass(frozen=True, slots=True)
class Placement:
    """A valid `add`: how many units, in how many runs, for what price."""

    quantity: int
    runs: int
    interval: int
    cost: Decimal
    link: str


def _count(text: str | None, name: str) -> int:
    text = (text or "").strip()
    # ASCII digits only ("²" is a digit to Python), and few enough for `int` to take.
    if not (text.isascii() and text.isdigit()) or len(text) > 30:
        raise PanelError(Problem.BAD_QUANTITY, field=name)
    return int(text)


def _lines(text: str) -> int:
    return len([line for line in text.splitlines() if line.strip()])


def _quantity(service: SimService, fields: Mapping[str, str]) -> int:
    if service.type is ServiceType.PACKAGE:
        return 1
    if service.type in _COUNTED_LINES:
        return _lines(fields[_COUNTED_LINES[service.type]])
    if service.type is ServiceType.SUBSCRIPTIONS:
        low, high = _count(fields["min"], "min"), _count(fields["max"], "max")
        if low > high:
            raise PanelError(Problem.BAD_QUANTITY, field="min")
        return high
    return _count(fields.get("quantity"), "quantity")


def check_order(service: SimService, fields: Mapping[str, str]) -> Placement:
    """Validate `fields` for `service`; raise `PanelError` with the panel's reason if invalid."""
    for name in REQUIRED_FIELDS[service.type]:
        if not fields.get(name, "").strip():
            raise PanelError(Problem.FIELD_REQUIRED, field=name)
    link = fields.get("link", "").strip()
    # Panels take bare usernames and domains as links, but never text with spaces in it.
    if link and any(char.isspace() or not char.isprintable() for char in link):
        raise PanelError(Problem.BAD_LINK)
    quantity = _quantity(service, fields)

    runs_text, interval_text = fields.get("runs", "").strip(), fields.get("interval", "").strip()
    runs, interval = 1, 0
    if runs_text or interval_text:
        if not service.dripfeed:
            raise PanelError(Problem.NO_DRIPFEED)
        runs, interval = _count(runs_text, "runs"), _count(interval_text, "interval")
        if runs < 1 or interval < 1:
            raise PanelError(Problem.BAD_REQUEST)

    if service.type not in PACKAGE_TYPES:
        if quantity < service.min or quantity < 1:
            raise PanelError(Problem.QUANTITY_LOW, min=service.min, max=service.max)
        if quantity > service.max:
            raise PanelError(Problem.QUANTITY_HIGH, min=service.min, max=service.max)
    elif quantity < 1:
        raise PanelError(Problem.FIELD_REQUIRED, field="comments")

    # Packages cost their flat rate; everything else the rate per 1000 units, for every run.
    flat = service.type in PACKAGE_TYPES
    cost = service.rate if flat else service.rate * quantity / PER * runs
    link = link or fields.get("username", "").strip()
    return Placement(quantity=quantity, runs=runs, interval=interval, cost=cost, link=link)
