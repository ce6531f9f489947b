"""The status sync's bulk writes: a batch of polled changes in a few statements, cheaply.

What ``update_order`` does for one order, for hundreds at once, with the per-row Python work
kept small: rows are built positionally (not through ``dataclasses.replace``), and JSON values
the caller already made JSON-safe (event payloads, flags, history data) are bound as they are,
without a second walk through ``types.to_json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Select, any_, bindparam, null, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator, TypeEngine

from gateway.store.account_ledger import needs_settling, settle
from gateway.store.base import chunks
from gateway.store.bulk import Bulk
from gateway.store.quality import record_finished_many
from gateway.store.rows import OrderRow, order_row
from gateway.store.tables import order_events, orders

SYNCED = (
    "state", "status_raw", "start_count", "remains", "charge", "charge_currency", "flags",
    "error", "next_poll_at",
)  # fmt: skip
"""The columns a status poll may change."""

ROW_FIELDS = tuple(f.name for f in fields(OrderRow))
"""`OrderRow`'s fields in order: select ``ROW_COLUMNS`` and build a row with ``order_row(r)``."""
ROW_COLUMNS = tuple(orders.c[name] for name in ROW_FIELDS)
_values_of = attrgetter(*ROW_FIELDS)
_POSITION = {name: i for i, name in enumerate(ROW_FIELDS)}


class JsonSafe(TypeDecorator[Any]):
    """The ledger's JSON column type for values that are JSON-safe already (only dicts, lists,
    strings, numbers, booleans and None): stored as ``types.Json`` stores them, the text
    written by orjson (the same JSON value, without the spaces ``json.dumps`` puts after
    separators and with non-ASCII text as UTF-8, not escapes; anything orjson refuses goes
    through ``json.dumps``)."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], str | None]:
        return _json_text


def _json_text(value: Any) -> str | None:
    """`value` as JSON text; None (SQL NULL) for None."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
        return json.dumps(value)


@dataclass(frozen=True, slots=True)
class PolledChange:
    """What one poll changes in an order: new values for `SYNCED` columns, and its history entry.

    `before` is the row as claimed; the change applies only if the order is still at its version.
    `event_data` must be JSON-safe. `synced_at`: when the panel answered for the order, if the
    change comes from its answer (the order is marked synced with the change).
    """

    before: OrderRow
    kind: str
    values: Mapping[str, Any]
    event_data: Mapping[str, Any] | None = None
    synced_at: datetime | None = None


def changed_row(row: OrderRow, values: Mapping[str, Any], **more: Any) -> OrderRow:
    """``dataclasses.replace(row, **values, **more)``, several times faster."""
    items = list(_values_of(row))
    for source in (values, more):
        for name, value in source.items():
            items[_POSITION[name]] = value
    return order_row(items)


_COLUMNS = (*SYNCED, "version", "updated_at")


def _update(*columns: str) -> Bulk:
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in columns}
    values["flags"] = bindparam("new_flags", type_=JsonSafe())
    return Bulk(
        orders.update()
        .where(orders.c.id == bindparam("order_id"))
        .values({**values, "claimed_by": null()})
    )


_columns_of = attrgetter(*_COLUMNS, "id")


def _new_values(rows: Sequence[OrderRow]) -> dict[str, Sequence[Any]]:
    """The parameters of `_UPDATE` for `rows`, a column at a time."""
    columns = list(zip(*map(_columns_of, rows), strict=True)) or [()] * (len(_COLUMNS) + 1)
    values: dict[str, Sequence[Any]] = {
        f"new_{name}": column for name, column in zip(_COLUMNS, columns, strict=False)
    }
    values["order_id"] = columns[-1]
    return values


_UPDATE = _update(*_COLUMNS)
_UPDATE_SYNCED = _update(*_COLUMNS, "synced_at")
"""A change from an answer of the panel: the order is synced at the same time."""
_HISTORY = Bulk(
    order_events.insert().values(
        order_id=bindparam("order_id"),
        at=bindparam("at"),
        kind=bindparam("kind"),
        from_state=bindparam("from_state"),
        to_state=bindparam("to_state"),
        data=bindparam("data", type_=JsonSafe()),
    )
)


_VERSIONS = select(orders.c.id, orders.c.version).order_by(orders.c.id).with_for_update()
_VERSIONS_ANY = _VERSIONS.where(
    orders.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(orders.c.id.type)))
)


def _versions_in(ids: list[int]) -> Select[int, int]:
    return _VERSIONS.where(orders.c.id.in_(ids))


async def apply_changes(
    tx: AsyncConnection, changes: Sequence[PolledChange], now: datetime
) -> list[OrderRow]:
    """Apply `changes` with their history entries; settle account orders made final.

    A change applies only if the order is still at the version it was claimed at (else it is
    left out: another writer got there first); it bumps the version, ends the claim and writes a
    history entry. Locks are taken in the ledger's order: order rows, quality buckets, accounts
    (in id order). Returns the orders as they now are, in the order given.
    """
    if not changes:
        return []
    versions: dict[int, int] = {}
    ids = sorted(c.before.id for c in changes)
    # FOR UPDATE holds the rows on PostgreSQL until commit, in id order; SQLite holds the
    # write lock. PostgreSQL takes the ids as one array (a statement prepared once, not an IN
    # list rendered and prepared anew for each length).
    if tx.dialect.name == "postgresql":
        queries = [_VERSIONS_ANY.params(ids=ids)]
    else:
        queries = [_versions_in(batch) for batch in chunks(ids)]
    for query in queries:
        versions.update((i, v) for i, v in await tx.execute(query))
    fresh = [c for c in changes if versions.get(c.before.id) == c.before.version]
    if not fresh:
        return []
    after = [
        changed_row(c.before, c.values, version=c.before.version + 1, updated_at=now) for c in fresh
    ]
    plain = [row for c, row in zip(fresh, after, strict=True) if c.synced_at is None]
    synced = [
        (c.synced_at, row) for c, row in zip(fresh, after, strict=True) if c.synced_at is not None
    ]
    await _UPDATE.run_columns(tx, _new_values(plain))
    await _UPDATE_SYNCED.run_columns(
        tx,
        {
            **_new_values([row for _, row in synced]),
            "new_synced_at": [at for at, _ in synced],
        },
    )
    await _HISTORY.run_columns(
        tx,
        {
            "order_id": [c.before.id for c in fresh],
            "at": [now] * len(fresh),
            "kind": [c.kind for c in fresh],
            "from_state": [c.before.state for c in fresh],
            "to_state": [row.state for row in after],
            "data": [None if c.event_data is None else dict(c.event_data) for c in fresh],
        },
    )
    await record_finished_many(tx, zip((c.before for c in fresh), after, strict=True))
    # An account order the poll made final is settled here, as update_order would; accounts
    # are locked in id order, so two batches never wait on each other's account.
    due = sorted((r for r in after if needs_settling(r)), key=lambda r: (r.account_id or 0, r.id))
    settled = {row.id: row for row in after}
    for row in due:
        settled[row.id], _ = await settle(tx, row, now)
    return [settled[row.id] for row in after]
