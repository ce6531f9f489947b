"""Column types that keep money exact and time in UTC on every backend.

SQLite has no exact decimal type (SQLAlchemy's ``Numeric`` on SQLite goes through ``float``) and
no timezone-aware timestamp, so both are stored as canonical text there; PostgreSQL gets its
native ``NUMERIC(24, 10)`` and ``TIMESTAMP WITH TIME ZONE``. Either way Python sees ``Decimal``
and aware UTC ``datetime``.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 10
"""Decimal places kept; amounts are rounded half-even to this on every backend."""
PRECISION = 24
_QUANTUM = Decimal(1).scaleb(-SCALE)
_LIMIT = Decimal(10) ** (PRECISION - SCALE)
_CONTEXT = decimal.Context(prec=PRECISION + 20)


def canonical_amount(value: Decimal | int) -> Decimal:
    """The amount as stored: at most 10 decimal places, no trailing zeros, whole amounts
    without an exponent.

    >>> canonical_amount(Decimal("1.2300"))
    Decimal('1.23')
    >>> canonical_amount(Decimal("1E+2"))
    Decimal('100')
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        # A float has already lost the amount the panel wrote; refuse it rather than store noise.
        raise TypeError(f"money must be Decimal or int, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    amount = amount.quantize(_QUANTUM, rounding=decimal.ROUND_HALF_EVEN, context=_CONTEXT)
    if abs(amount) >= _LIMIT:
        raise ValueError(f"amount out of range for NUMERIC({PRECISION}, {SCALE}): {value!r}")
    amount = amount.normalize(_CONTEXT)
    if amount.is_zero():
        return Decimal(0)
    if amount == amount.to_integral_value():
        # normalize() writes 100 as 1E+2; keep plain digits.
        amount = amount.quantize(Decimal(1), context=_CONTEXT)
    return amount


class Money(TypeDecorator[Decimal]):
    """An exact amount: canonical decimal text on SQLite, ``NUMERIC(24, 10)`` on PostgreSQL.

    The text form makes SQL comparisons on SQLite lexical, not numeric: filter and sort money
    in Python, or on PostgreSQL only.
    """

    impl = String
    cache_ok = True

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = canonical_amount(value)
        if dialect.name == "postgresql":
            return amount
        return format(amount, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):  # never expected; a float here means a lossy column
            raise TypeError("a money column returned a float")
        return canonical_amount(Decimal(value) if isinstance(value, str) else value)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC ``datetime``: ``TIMESTAMPTZ`` on PostgreSQL, fixed-width ISO text on SQLite.

    The text is always ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, so SQLite compares it correctly
    as a string. Naive datetimes are refused: their zone is a guess.
    """

    impl = DateTime
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime: {value!r}; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime):
            raise TypeError(f"a timestamp column returned {type(value).__name__}")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


_AS_IS = frozenset({str, int, bool, float, type(None)})


def to_json(value: Any) -> Any:
    """A JSON-safe copy of `value`: ``Decimal`` becomes its exact text, dates ISO text, enums
    their value, pydantic models their JSON dump. Floats pass through (they are not money)."""
    kind = type(value)
    # The common shapes first, by exact type (an event payload is mostly these).
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {str(k): to_json(v) for k, v in value.items()}
    if kind is list:
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


class Json(TypeDecorator[Any]):
    """Portable JSON (``JSONB`` on PostgreSQL) that writes ``Decimal`` as exact text."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # none_as_null: Python None is SQL NULL, not the JSON text 'null'.
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else to_json(value)
