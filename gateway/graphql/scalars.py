"""Custom scalars: money travels as an exact decimal string, never as a float; counts that
may pass 32 bits (a panel's maximum, a post's start count) as `BigInt`.

A JSON number in a variable has already been through a binary float by the time it arrives, so
variables must send ``"12.50"``; a literal in the query text (``maxRate: 12.5``) is read from its
source text and is exact either way. Either way a decimal is written in plain digits, as the CLI
takes amounts (`gateway.cli.amounts`): an optional sign, digits and a decimal point; exponents
(``1e3``), ``NaN``, ``Infinity`` and ``_`` groupings are refused, so no one's ``1e3`` becomes
1000 unseen. How many decimal places a field takes is the field's rule (a ledger amount: 4).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

MAX_NUMBER_TEXT = 40
"""Longest number text read: no amount or count needs more, and the refusal never repeats it."""
_DIGITS = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
PLAIN_DECIMAL = re.compile(_DIGITS)
"""A decimal in plain ASCII digits: ``12``, ``-0.5``, ``12.50``, ``.5``."""
_EXPONENT = re.compile(_DIGITS + r"[eE][+-]?[0-9]+")


def _exact(text: str) -> Decimal:
    cleaned = text.strip()
    if len(cleaned) > MAX_NUMBER_TEXT:
        raise StrawberryInputCoercionError(
            f"not a decimal number of at most {MAX_NUMBER_TEXT} characters"
        )
    if not PLAIN_DECIMAL.fullmatch(cleaned):
        if _EXPONENT.fullmatch(cleaned):
            raise StrawberryInputCoercionError(
                "not a plain decimal number: write it without an exponent (1000, not 1e3)"
            )
        raise StrawberryInputCoercionError(
            "not a plain decimal number: digits with an optional sign and decimal point, "
            "such as 12.50 (no NaN, Infinity or grouping)"
        )
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise StrawberryInputCoercionError("not a decimal number") from None


def parse_decimal(value: object) -> Decimal:
    """A variable's value: a string (exact) or an integer; floats are refused as inexact."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise StrawberryInputCoercionError(
            'Decimal values must be sent as strings, such as "12.50" (floats are inexact)'
        )
    return _exact(str(value))


def parse_decimal_literal(node: ValueNode, _variables: object = None) -> Decimal:
    """A literal in the query text, read from its source text, so ``12.5`` is exact too."""
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return _exact(node.value)
    raise StrawberryInputCoercionError("Decimal literals must be numbers or strings")


def serialize_decimal(value: object) -> str:
    if not isinstance(value, Decimal):
        raise TypeError(f"Decimal fields must hold a Decimal, got {type(value).__name__}")
    # str() is several times faster than formatting, and the same text unless it chose
    # scientific notation (1E-7, 1E+3), which format "f" never writes.
    text = str(value)
    return f"{value:f}" if "E" in text else text


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description=(
        'An exact decimal number, serialised as a string ("12.50"). Money amounts always use '
        "it; send it as a string in variables, never as a JSON number, in plain digits: no "
        "exponent (1e3), NaN, Infinity or grouping. Ledger amounts and price-list percentages "
        "take at most 4 decimal places."
    ),
    serialize=serialize_decimal,
    parse_value=parse_decimal,
    parse_literal=parse_decimal_literal,
)

BigInt = NewType("BigInt", int)
"""A count that may exceed GraphQL's 32-bit ``Int``."""


def parse_big_int(value: object) -> int:
    """An integer, or a string of one (as the scalar is sent)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise StrawberryInputCoercionError("BigInt values must be integers or strings of one")
    if isinstance(value, str) and len(value.strip()) > MAX_NUMBER_TEXT:
        raise StrawberryInputCoercionError(
            f"not a whole number of at most {MAX_NUMBER_TEXT} digits"
        )
    try:
        return int(value)
    except ValueError:
        raise StrawberryInputCoercionError("not a whole number") from None


def parse_big_int_literal(node: ValueNode, _variables: object = None) -> int:
    if isinstance(node, StringValueNode | IntValueNode):
        return parse_big_int(node.value)
    raise StrawberryInputCoercionError("BigInt literals must be integers or strings")


def serialize_big_int(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"BigInt fields must hold an int, got {type(value).__name__}")
    return str(value)


BIG_INT: ScalarDefinition = strawberry.scalar(
    name="BigInt",
    description=(
        'A whole number that may exceed 32 bits, serialised as a string ("100000000000"), '
        "as JavaScript numbers lose precision past 2^53. Inputs accept an integer or a string."
    ),
    serialize=serialize_big_int,
    parse_value=parse_big_int,
    parse_literal=parse_big_int_literal,
)


def parse_moment(value: object) -> datetime:
    """A DateTime input as an aware UTC moment: ISO 8601 as Strawberry reads it, a moment without
    a zone taken as UTC. The ledger compares aware moments only, and a zone that moves a moment
    past year 1 or 9999 is refused here rather than overflowing where it is used."""
    assert DateTimeDefinition.parse_value is not None
    moment = DateTimeDefinition.parse_value(value)
    assert isinstance(moment, datetime)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise StrawberryInputCoercionError(
            f'Value cannot represent a DateTime: "{value}". In UTC it is before year 1 or '
            "after year 9999"
        ) from None


DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat); an input without a zone is UTC",
    serialize=lambda moment: moment.isoformat(),
    parse_value=parse_moment,
)

SCALARS: dict[object, ScalarDefinition] = {Decimal: DECIMAL, BigInt: BIG_INT, datetime: DATETIME}
"""The schema's ``scalar_map``."""
