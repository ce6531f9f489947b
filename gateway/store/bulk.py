"""Statements run for many rows at once, compiled once per dialect and fed plain tuples.

SQLAlchemy's ``execute(statement, [dict, ...])`` builds and processes a parameter dict per row;
for the status sync's hundreds of rows a transaction that was a large part of the work. A
`Bulk` statement is compiled once per dialect; each row's values go through the columns' own
bind processors (the same conversions, so the stored values are identical) into the driver's
``executemany``::

    UPDATE = Bulk(orders.update().where(orders.c.id == bindparam("order_id"))
                  .values(state=bindparam("state")))
    await UPDATE.run(tx, [{"order_id": 1, "state": "COMPLETED"}, ...])

Every parameter must be a named ``bindparam`` (no literal values, no expanding ``IN``). On
PostgreSQL an ``INSERT`` is one statement a batch instead, ``INSERT ... SELECT * FROM
unnest($1::T[], ...)``, and so is an ``UPDATE ... WHERE key = :k``, as ``UPDATE ... SET a =
_v.p1 ... FROM unnest($1::T[], ...) AS _v(p1, ...) WHERE key = _v.pN``: one array a column, the
same bind processors per value (one statement beats asyncpg's executemany, which runs a
statement per row, and SQLAlchemy's multi-row ``VALUES`` spends more time building its
parameters than the server spends inserting). An update whose batch names a row twice runs row
by row (a row is updated once by ``UPDATE ... FROM``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Insert, Update
from sqlalchemy.sql.compiler import SQLCompiler

from gateway.store.base import CHUNK, chunks

Processor = Callable[[Any], Any] | None

_VALUES = re.compile(r" VALUES \((.*?)\)(?= ON CONFLICT | RETURNING |$)")
_CAST = re.compile(r"\$(\d+)::([A-Z][A-Z0-9_ ]*(?:\(\d+(?:, \d+)?\))?)")
_UPDATE = re.compile(r"UPDATE (\S+) SET (.+) WHERE (.+)")
_TYPED = re.compile(
    r"\$(\d+)::([A-Z][A-Z0-9_]*(?: WITH(?:OUT)? TIME ZONE| PRECISION| VARYING)?"
    r"(?:\(\d+(?:, \d+)?\))?)"
)
_KEY = re.compile(r"\S+ = _v\.p(\d+)")


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


def unnest_update(sql: str, count: int) -> tuple[str, tuple[int, ...]] | None:
    """`sql`, an ``UPDATE t SET a=$1::T, ... WHERE t.k = $n::T [AND ...]`` as compiled for
    asyncpg, as ``UPDATE t SET a=_v.p1, ... FROM unnest($1::T[], ...) AS _v(p1, ...) WHERE t.k =
    _v.pn``, with the (0-based) positions of the parameters its ``WHERE`` matches on; None if it
    is not of that form (each of its `count` parameters cast once; only equalities, joined by
    ``AND``, in its ``WHERE``; no ``RETURNING``, no ``FROM``)."""
    found = _UPDATE.fullmatch(sql)
    if found is None or " RETURNING " in sql or " FROM " in sql:
        return None
    table, assignments, where = found.groups()
    kinds: list[tuple[int, str]] = []

    def column(match: re.Match[str]) -> str:
        kinds.append((int(match.group(1)), match.group(2)))
        return f"_v.p{match.group(1)}"

    assignments, where = _TYPED.sub(column, assignments), _TYPED.sub(column, where)
    if sorted(n for n, _ in kinds) != list(range(1, count + 1)) or "$" in assignments + where:
        return None  # a parameter used twice, left out or not cast
    conditions = where.split(" AND ")
    keys = [_KEY.fullmatch(condition) for condition in conditions]
    if not all(keys):
        return None
    arrays = ", ".join(f"${n}::{kind}[]" for n, kind in sorted(kinds))
    names = ", ".join(f"p{n}" for n in range(1, count + 1))
    rewritten = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS _v({names}) WHERE {where}"
    )
    return rewritten, tuple(int(k.group(1)) - 1 for k in keys if k is not None)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Processor, ...]
    columnar: bool = False
    """`sql` takes one array a parameter (an ``unnest`` insert or update): run once a batch."""
    keys: tuple[int, ...] = ()
    """An ``unnest`` update's key parameters (positions): a batch naming a row twice runs
    row by row, with `row_sql`."""
    row_sql: str = ""


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
            keys: tuple[int, ...] = ()
            if dialect.name == "postgresql" and isinstance(self.statement, Insert):
                unnest = unnest_insert(sql, len(names))
                if unnest is not None:
                    sql, columnar = unnest, True
            elif dialect.name == "postgresql" and isinstance(self.statement, Update):
                update = unnest_update(sql, len(names))
                if update is not None:
                    (sql, keys), columnar = update, True
            found = _Compiled(sql, names, processors, columnar, keys, compiled.string)
            self._compiled[dialect.name] = found
        return found

    async def run(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute the statement once per row of `rows`, a few hundred rows a call."""
        if rows:
            names = self.compiled(conn.dialect).names
            await self.run_columns(conn, {n: [row[n] for row in rows] for n in names})

    async def run_columns(
        self, conn: AsyncConnection, columns: Mapping[str, Sequence[Any]]
    ) -> None:
        """`run` for rows given a column at a time: each parameter's values, all of one length
        (cheaper to build than a dict a row)."""
        compiled = self.compiled(conn.dialect)
        if set(columns) != set(compiled.names):
            raise ValueError(f"columns {sorted(columns)} for parameters {sorted(compiled.names)}")
        values = [columns[n] for n in compiled.names]
        count = len(values[0])
        if any(len(v) != count for v in values):
            raise ValueError("columns of different lengths")
        if not count:
            return
        if (
            not compiled.columnar
            and conn.dialect.name == "postgresql"
            and isinstance(self.statement, Insert)
        ):
            # SQLAlchemy's own multi-row VALUES beats asyncpg's executemany of single inserts.
            rows = [
                dict(zip(compiled.names, row, strict=True)) for row in zip(*values, strict=True)
            ]
            for batch in chunks(rows):
                await conn.execute(self.statement, batch)
            return
        # A column at a time costs less than a generator a row.
        processed = [
            v if p is None else _processed(p, v)
            for v, p in zip(values, compiled.processors, strict=True)
        ]
        if compiled.columnar:
            for at in range(0, count, _ARRAY_CHUNK):
                arrays = [list(v[at : at + _ARRAY_CHUNK]) for v in processed]
                if compiled.keys and _repeats(arrays, compiled.keys):
                    await conn.exec_driver_sql(compiled.row_sql, list(zip(*arrays, strict=True)))
                else:
                    await conn.exec_driver_sql(compiled.sql, tuple(arrays))
            return
        for at in range(0, count, CHUNK):
            params = list(zip(*(v[at : at + CHUNK] for v in processed), strict=True))
            await conn.exec_driver_sql(compiled.sql, params)


_ARRAY_CHUNK = 2000
"""Rows a statement when they go as arrays (no limit on parameters there)."""


def _processed(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """`processor` applied to each of `values`, once for a run of the same object (a batch's
    rows often share one timestamp: the time of the write)."""
    out: list[Any] = []
    last: object = _NOTHING
    done = None
    for value in values:
        if value is not last:
            last, done = value, processor(value)
        out.append(done)
    return out


_NOTHING = object()


def _repeats(arrays: list[list[Any]], keys: tuple[int, ...]) -> bool:
    """Whether two rows of the batch have the same key."""
    column = (
        arrays[keys[0]] if len(keys) == 1 else list(zip(*(arrays[k] for k in keys), strict=True))
    )
    return len(set(column)) != len(column)
