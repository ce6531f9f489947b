"""Custom scalars: money travels as an exact decimal string, never as a float; counts that
may pass 32 bits (a panel's maximum, a post's start count) as `BigInt`.

A JSON number in a variable has already been through a binary float by the time it arrives, so
variables must send ``"12.50"``; a literal in the query text (``maxRate: 12.5``) is read from its
source text and is exact either way.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

MAX_NUMBER_TEXT = 40
"""Longest number text read: no amount or count needs more, and the refusal never repeats it."""


def _exact(text: str) -> Decimal:
    if len(text.strip()) > MAX_NUMBER_TEXT:
        raise StrawberryInputCoercionError(
            f"not a decimal number of at most {MAX_NUMBER_TEXT} characters"
        )
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise StrawberryInputCoercionError("not a decimal number") from None
    if not value.is_finite():
        raise StrawberryInputCoercionError("not a finite decimal number")
    return value


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
        "it; send it as a string in variables, never as a JSON number."
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

SCALARS: dict[object, ScalarDefinition] = {Decimal: DECIMAL, BigInt: BIG_INT}
"""The schema's ``scalar_map``."""
