"""Numbers as panels write them in text: decimal points or commas, grouped thousands.

Panels are written in many locales, so one amount reaches us as ``"1234.50"``, ``"1,234.50"``,
``"1.234,50"`` or ``"1 234,50"``. The rules, in order:

- no comma, space or apostrophe: read as written (``"0.27819"``, ``"1e3"``);
- a comma *and* a dot: the one written last is the decimal mark (``"1,234.50"``, ``"1.234,50"``);
- spaces and apostrophes only ever group thousands (``"1 234,5"``, ``"1'234.50"``);
- several commas (or several dots) group thousands (``"1,234,567"``, ``"1.234.567"``);
- a single comma is a decimal comma (``"0,90"``, ``"12,5"``), except when exactly three digits
  follow it and nothing else says which it is: ``"1,234"`` may be 1.234 or 1234, and is refused
  with `AmbiguousAmount` (``"0,123"`` and ``"1234,567"`` cannot be groupings, so they are
  decimals);
- a single dot is a decimal point, as in JSON.

Every grouping must be in threes after a first group of one to three digits; anything else is
refused as `UnreadableAmount`. A whole count (`whole=True`) reads ``"1,234"`` as 1234, the one
reading that gives a whole number.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["AmbiguousAmount", "UnreadableAmount", "read_decimal"]

_GROUPING_ONLY = " '\u00a0\u202f\u2009"
"""Spaces (plain, no-break, narrow no-break, thin) and apostrophes: thousands, never decimals."""
_SHAPE = re.compile(r"[0-9][0-9.,' \u00a0\u202f\u2009]*")


class UnreadableAmount(ValueError):
    """Text that is not a number in any of the forms panels use."""


class AmbiguousAmount(UnreadableAmount):
    """Text that two conventions read as two different numbers (``"1,234"``)."""


def _grouped(text: str, separator: str, original: str) -> str:
    groups = text.split(separator)
    first, rest = groups[0], groups[1:]
    if not 1 <= len(first) <= 3 or any(len(g) != 3 for g in rest):
        raise UnreadableAmount(f"not an amount: {original!r} (digits grouped unevenly)")
    return "".join(groups)


def _plain(text: str, original: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UnreadableAmount(f"not an amount: {original!r}") from None
    if not value.is_finite():
        raise UnreadableAmount(f"not an amount: {original!r}")
    return value


def read_decimal(text: str, *, whole: bool = False) -> Decimal:
    """The number `text` writes, by the rules in the module docstring.

    >>> read_decimal("1.234,50"), read_decimal("0,90"), read_decimal("1 234,5")
    (Decimal('1234.50'), Decimal('0.90'), Decimal('1234.5'))
    >>> read_decimal("1,234", whole=True)
    Decimal('1234')
    """
    original = text
    text = text.strip()
    sign = ""
    if text and text[0] in "+-":
        sign, text = text[0], text[1:].lstrip()
    if not any(c in text for c in ",'" + _GROUPING_ONLY) and text.count(".") <= 1:
        return _plain(sign + text, original)
    if not _SHAPE.fullmatch(text) or not text[-1].isdigit():
        raise UnreadableAmount(f"not an amount: {original!r}")
    spaced = next((c for c in _GROUPING_ONLY if c in text), None)
    if spaced is not None:
        if any(c in text for c in _GROUPING_ONLY if c != spaced):
            raise UnreadableAmount(f"not an amount: {original!r} (mixed digit grouping)")
        if "," in text and "." in text:
            raise UnreadableAmount(f"not an amount: {original!r} (mixed digit grouping)")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if mark == "," else ","
    elif commas > 1 or dots > 1:
        mark, group = "", "," if commas else "."
    elif commas == 1:
        head, tail = text.split(",")
        could_group = len(tail) == 3 and spaced is None and 1 <= len(head) <= 3
        if could_group and head != "0":
            if not whole:
                raise AmbiguousAmount(
                    f"ambiguous amount: {original!r} (a decimal comma or grouped thousands)"
                )
            mark, group = "", ","
        else:
            mark, group = ",", ""
    else:
        mark, group = ".", ""
    integer, _, fraction = text.rpartition(mark) if mark and mark in text else (text, "", "")
    if spaced is not None:
        integer = _grouped(integer, spaced, original)
    if group:
        integer = _grouped(integer, group, original)
    if not integer.isdigit() or (fraction and not fraction.isdigit()):
        raise UnreadableAmount(f"not an amount: {original!r}")
    return _plain(f"{sign}{integer}.{fraction}" if fraction else sign + integer, original)
