"""Numbers, flags and ids as panels write them, read into one canonical form.

Panels send numbers as strings or numbers, booleans in half a dozen spellings and ids that may
be integers or opaque strings. The readers here accept all of that: ids become ``str``, counts
``int`` (unbounded), amounts ``Decimal`` (never through a float's binary value), flags ``bool``.
The ``Annotated`` types (`Amount`, `Count`, `Flag`, `Id`, ...) apply them to model fields.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator

from providers.amounts import UnreadableAmount, read_decimal

ServiceId = str
OrderId = str
RefillId = str


MAX_COUNT_DIGITS = 30
"""The most digits a count is read with: far beyond any panel's (a 13-digit ``max``)."""

_NOT_KEY = re.compile(r"[^a-z0-9]")
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
"""Digits with at most one decimal point: what `read_decimal` reads as `Decimal` reads it."""


def squash(text: str) -> str:
    """Lower-case letters and digits only: the key tolerant lookups of panel words use."""
    return _NOT_KEY.sub("", text.lower())


def to_decimal(value: object) -> Decimal:
    """Parse a panel's money value (``"0.27819"``, ``8``, ``Decimal``) without touching floats.

    A float is converted through its shortest ``repr``, which is what the panel wrote.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise UnreadableAmount("a boolean is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        if _PLAIN_NUMBER.fullmatch(value):
            return Decimal(value)  # what read_decimal gives for plain digits, sooner
        # Decimal commas and grouped thousands read by one set of rules (providers.amounts).
        return read_decimal(value)
    raise UnreadableAmount(f"not an amount: {value!r}")


def to_int(value: object) -> int:
    """Parse a panel's count (``"3572"``, ``3572``, ``"1e3"``, ``"157.0"``) as an exact integer.

    Text writing a count of more than `MAX_COUNT_DIGITS` digits is none: making one of
    ``"1e1000000"`` alone would take the process half a minute."""
    if isinstance(value, bool):
        raise UnreadableAmount("a boolean is not a count")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value.lstrip("0")) > MAX_COUNT_DIGITS:
            raise UnreadableAmount(f"not a count: over {MAX_COUNT_DIGITS} digits")
        return int(value)  # what read_decimal gives for plain digits, sooner
    # A count is whole, so "1,234" can only be grouped thousands.
    amount = read_decimal(value, whole=True) if isinstance(value, str) else to_decimal(value)
    if amount != amount.to_integral_value():
        raise UnreadableAmount(f"not a whole number: {value!r}")
    if amount.adjusted() >= MAX_COUNT_DIGITS:
        raise UnreadableAmount(f"not a count: over {MAX_COUNT_DIGITS} digits")
    return int(amount)


def to_optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_int(value)


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", "", "null", "none"}


def to_bool(value: object) -> bool:
    """Parse a panel's flag: ``true``, ``"true"``, ``1``, ``"1"``, ``"True"``, ``"0"``..."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | Decimal):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"not a flag: {value!r}")


def to_id(value: object) -> str:
    """Canonical id text: ``23501``, ``"23501"`` and ``" 23501 "`` are all ``"23501"``."""
    if type(value) is str and (text := value.strip()):
        return text  # the common case first
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return str(to_int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"not an id: {value!r}")


Amount = Annotated[Decimal, BeforeValidator(to_decimal)]
Count = Annotated[int, BeforeValidator(to_int)]
OptionalCount = Annotated[int | None, BeforeValidator(to_optional_int)]
Flag = Annotated[bool, BeforeValidator(to_bool)]
Id = Annotated[str, BeforeValidator(to_id)]
