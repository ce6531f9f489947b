"""Amounts and percentages typed on the command line: exact decimals, refused in one line.

Each parser is a Typer ``parser=``: bad input is a usage error (exit 2) naming the argument, such
as ``Invalid value for 'AMOUNT': '12,5' is not an amount (e.g. 25.50)``, never a traceback.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import typer

PLACES = 4
"""Decimal places an amount may have: the precision of client prices."""
LIMIT = Decimal(10) ** 12
"""Amounts are below this (a mistyped amount, not a real one)."""
MAX_PERCENT = Decimal(1_000_000)
"""The largest percentage a price list takes."""


def _decimal(text: str, what: str, example: str) -> Decimal:
    cleaned = text.strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    # Plain digits only: no NaN, Infinity, exponents or grouping, which no one means here.
    if value is None or not value.is_finite() or "e" in cleaned.lower() or "_" in cleaned:
        raise typer.BadParameter(f"{text!r} is not {what} (e.g. {example})")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > PLACES:
        raise typer.BadParameter(f"{text!r} has more than {PLACES} decimal places")
    if abs(value) >= LIMIT:
        raise typer.BadParameter(f"{text!r} is too large")
    return value


def amount(text: str) -> Decimal:
    """Any amount, negative included (an adjustment that takes money back)."""
    return _decimal(text, "an amount", "25.50")


def nonzero_amount(text: str) -> Decimal:
    value = amount(text)
    if value == 0:
        raise typer.BadParameter("the amount must not be 0")
    return value


def positive_amount(text: str) -> Decimal:
    value = amount(text)
    if value <= 0:
        raise typer.BadParameter(f"{text!r}: the amount must be more than 0")
    return value


def limit_amount(text: str) -> Decimal:
    """A limit or threshold: 0 or more."""
    value = amount(text)
    if value < 0:
        raise typer.BadParameter(f"{text!r}: a limit cannot be negative")
    return value


def _percent(text: str) -> Decimal:
    value = _decimal(text.strip().removesuffix("%"), "a percentage", "20")
    if value > MAX_PERCENT:
        raise typer.BadParameter(f"{text!r} is more than {MAX_PERCENT}%")
    return value


def markup(text: str) -> Decimal:
    """A markup over cost in percent (``20`` or ``20%``); above -100 (a discount below cost is
    allowed, the minimum margin then decides)."""
    value = _percent(text)
    if value <= -100:
        raise typer.BadParameter(f"{text!r}: a markup must be above -100%")
    return value


def margin(text: str) -> Decimal:
    """A minimum margin over cost in percent, 0 or more."""
    value = _percent(text)
    if value < 0:
        raise typer.BadParameter(f"{text!r}: a minimum margin cannot be negative")
    return value
