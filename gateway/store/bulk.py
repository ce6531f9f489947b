"""Statements run for many rows at once, compiled once per dialect and fed plain tuples.

SQLAlchemy's ``execute(statement, [dict, ...])`` builds and processes a parameter dict per row;
for the status sync's hundreds of rows a transaction that was a large part of the work. A
`Bulk` statement is compiled once per dialect; each row's values go through the columns' own
bind processors (the same conversions, so the stored values are identical) into the driver's
``executemany``::

    UPDATE = Bulk(orders.update().where(orders.c.id == bindparam("order_id"))
                  .values(state=bindparam("state")))
    await UPDATE.run(tx, [{"order_id": 1, "state": "COMPLETED"}, ...])

Every parameter must be a named ``bindparam`` (no literal values, no expanding ``IN``). An
``INSERT`` on PostgreSQL is one statement a batch instead, ``INSERT ... SELECT * FROM
unnest($1::T[], ...)``: one array a column, the same bind processors per value (one statement
beats asyncpg's executemany of single rows there, and SQLAlchemy's multi-row ``VALUES`` spends
more time building its parameters than the server spends inserting).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.compiler import SQLCompiler

from gateway.store.base import chunks

Processor = Callable[[Any], Any] | None

_VALUES = re.compile(r" VALUES \((.*?)\)(?= ON CONFLICT | RETURNING |$)")
_CAST = re.compile(r"\$(\d+)::([A-Z][A-Z0-9_ ]*(?:\(\d+(?:, \d+)?\))?)")


def unnest_insert(sql: str, count: int) -> str | None:
    """`sql`, a single-row ``INSERT ... VALUES ($1::T, ...)`` as compiled for asyncpg, as
    ``INSERT ... SELECT * FROM unnest($1::T[], ...)`` without its ``RETURNING``; None if it is
    not of that form (each of its `count` parameters cast once, in order)."""
    found = _VALUES.search(sql)
    if found is None:
        return None
    casts = _CAST.findall(found.group(1))
    if [int(n) for n, _ in casts] != list(range(1, count + 1)):
        return None
    if ", ".join(f"${n}::{kind}" for n, kind in casts) != found.group(1):
        return None  # something besides the casts (a literal, a function)
    arrays = ", ".join(f"${n}::{kind}[]" for n, kind in casts)
    tail = sql[found.end() :].split(" RETURNING ", 1)[0]
    return f"{sql[: found.start()]} SELECT * FROM unnest({arrays}){tail}"


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Processor, ...]
    columnar: bool = False
    """`sql` takes one array a parameter (an ``unnest`` insert): run once a batch."""


class Bulk:
    """One executemany statement, compiled once per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            names = tuple(compiled.positiontup or ())
            if not names or len(names) != len(compiled.binds):
                raise ValueError("a Bulk statement takes named bind parameters only")
            processors = tuple(
                compiled.binds[name].type._cached_bind_processor(dialect) for name in names
            )
            sql, columnar = compiled.string, False
            if dialect.name == "postgresql" and isinstance(self.statement, Insert):
                unnest = unnest_insert(sql, len(names))
                if unnest is not None:
                    sql, columnar = unnest, True
            found = _Compiled(sql, names, processors, columnar)
            self._compiled[dialect.name] = found
        return found

    async def run(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute the statement once per row of `rows`, a few hundred rows a call."""
        if not rows:
            return
        compiled = self.compiled(conn.dialect)
        pairs = tuple(zip(compiled.names, compiled.processors, strict=True))
        if compiled.columnar:
            for batch in chunks(rows):
                arrays = tuple(
                    [row[n] for row in batch] if p is None else [p(row[n]) for row in batch]
                    for n, p in pairs
                )
                await conn.exec_driver_sql(compiled.sql, arrays)
            return
        if conn.dialect.name == "postgresql" and isinstance(self.statement, Insert):
            # SQLAlchemy's own multi-row VALUES beats asyncpg's executemany of single inserts.
            for batch in chunks(rows):
                await conn.execute(self.statement, list(batch))
            return
        for batch in chunks(rows):
            params = [tuple(row[n] if p is None else p(row[n]) for n, p in pairs) for row in batch]
            await conn.exec_driver_sql(compiled.sql, params)
