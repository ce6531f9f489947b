"""The statements that write a change of an order: its ``UPDATE`` (built once per shape of
change, a reused provider order id flagged inside it), and its history entry with its outbox
event. ``OrderQueries`` (``gateway.store.orders``) runs them in its transactions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import ClauseElement, ColumnElement, Update, bindparam, case, exists, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.errors import OrderNotFound, StaleOrder
from gateway.store.outbox import ADD_OUTBOX
from gateway.store.rows import OrderRow
from gateway.store.tables import order_events, orders, outbox
from gateway.store.types import Json

_INSERT_EVENT = order_events.insert()
_OTHER = orders.alias("other")  # an alias builds its columns when first asked for them


class Announcement(Protocol):
    """An event for the outbox (`gateway.events.Event`), announcing a change of an order."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    def payload(self) -> dict[str, Any]: ...


Announce = Callable[[OrderRow], Announcement | None]
"""The outbox event of a change, made from the order's row as the change left it."""


def _history_and_outbox() -> Any:
    """On PostgreSQL, a change's history entry and its outbox event in one statement: the
    history insert is a data-modifying ``WITH`` (run once, to completion, whether or not the
    outer insert reads it), so the two cost one round trip instead of two."""
    history = order_events.insert().values(
        {c: bindparam(f"h_{c}", type_=order_events.c[c].type) for c in _HISTORY_COLUMNS}
    )
    return (
        postgresql.insert(outbox)
        .values({c: bindparam(c, type_=outbox.c[c].type) for c in _OUTBOX_COLUMNS})
        .on_conflict_do_nothing(index_elements=[outbox.c.event_id])
        .add_cte(history.cte("history"))
    )


_HISTORY_COLUMNS = ("order_id", "at", "kind", "from_state", "to_state", "data")
_OUTBOX_COLUMNS = ("event_id", "type", "payload", "created_at")
_HISTORY_AND_OUTBOX = _history_and_outbox()


@dataclass(frozen=True, slots=True)
class FlagIfTaken:
    """A value for ``update_order``'s ``flags``: the order's `flags` with `flag` added when
    another order already has `provider_order_id` at `provider` (a panel that was reset),
    decided inside the update's own statement, so placing an order reads nothing first."""

    order_id: int
    provider: str
    provider_order_id: str
    flags: tuple[str, ...]
    newer_only: bool
    """Recorded again: only a newer order's id makes it a reuse (`find_by_provider_order`)."""


def flagged_if_taken(
    order: OrderRow, provider: str, provider_order_id: str, flag: str
) -> FlagIfTaken:
    """The order's ``flags``, with `flag` added if `provider_order_id` is taken at `provider`."""
    mine = (order.provider, order.provider_order_id) == (provider, provider_order_id)
    flags = list(order.flags or [])
    if flag not in flags:
        flags.append(flag)
    return FlagIfTaken(order.id, provider, provider_order_id, tuple(flags), newer_only=mine)


def _flag_case(newer_only: bool) -> ColumnElement[Any]:
    other = _OTHER
    taken = exists().where(
        other.c.provider == bindparam("f_provider"),
        other.c.provider_order_id == bindparam("f_provider_order_id"),
        other.c.id > bindparam("f_id") if newer_only else other.c.id != bindparam("f_id"),
    )
    return case((taken, bindparam("f_flags", type_=Json)), else_=orders.c.flags)


@lru_cache(maxsize=512)
def _update_statement(columns: tuple[str, ...], compare: bool, flag: bool | None) -> Update:
    """``UPDATE orders SET <columns>, updated_at, version WHERE id [AND version AND state]
    RETURNING *``, built once per shape: its values are parameters (``v_<column>``), so a
    change of an order never builds and keys a statement anew. `flag`: ``flags`` is a
    `FlagIfTaken` (True: newer orders only)."""
    values: dict[str, Any] = {
        name: bindparam(f"v_{name}", type_=orders.c[name].type) for name in columns
    }
    if flag is not None:
        values["flags"] = _flag_case(flag)
    values["updated_at"] = bindparam("v_updated_at", type_=orders.c.updated_at.type)
    values["version"] = bindparam("v_version", type_=orders.c.version.type)
    where = [orders.c.id == bindparam("w_id")]
    if compare:
        where += [
            orders.c.version == bindparam("w_version"),
            orders.c.state == bindparam("w_state"),
        ]
    return orders.update().where(*where).values(values).returning(*orders.c)


def update_statement(
    order_id: int,
    changes: Mapping[str, Any],
    now: datetime,
    version: int,
    expected: tuple[int, str] | None = None,
) -> tuple[Update, dict[str, Any]]:
    """The statement and parameters that apply `changes` to an order at `version` (and, with
    `expected`, only while it is still at that version and state)."""
    params: dict[str, Any] = {"w_id": order_id, "v_updated_at": now, "v_version": version + 1}
    if expected is not None:
        params["w_version"], params["w_state"] = expected
    flag = None
    columns = []
    for name, value in changes.items():
        if isinstance(value, FlagIfTaken):
            flag = value.newer_only
            params.update(
                f_provider=value.provider, f_provider_order_id=value.provider_order_id,
                f_id=value.order_id, f_flags=list(value.flags),
            )  # fmt: skip
        elif isinstance(value, ClauseElement):
            # Values are parameters of a statement built once per shape, never SQL of their own.
            raise TypeError(f"update_order takes values, not SQL: {name}")
        else:
            columns.append(name)
            params[f"v_{name}"] = value
    return _update_statement(tuple(sorted(columns)), expected is not None, flag), params


async def locked_update(
    conn: AsyncConnection,
    order_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
    now: datetime,
) -> tuple[OrderRow, str]:
    """The order changed under its row lock, and the state it had before."""
    # FOR UPDATE holds the row on PostgreSQL until commit; SQLite already holds the database
    # write lock (BEGIN IMMEDIATE), so the clause is simply dropped there.
    current = await conn.execute(
        select(orders.c.state, orders.c.version).where(orders.c.id == order_id).with_for_update()
    )
    found = current.one_or_none()
    if found is None:
        raise OrderNotFound(order_id)
    from_state, version = found
    if expected_version is not None and version != expected_version:
        raise StaleOrder(order_id, expected_version, version)
    result = await conn.execute(*update_statement(order_id, changes, now, version))
    return OrderRow.from_row(result.mappings().one()), from_state


async def add_event(
    conn: AsyncConnection,
    order_id: int,
    at: datetime,
    kind: str,
    from_state: str | None,
    to_state: str | None,
    data: Mapping[str, Any] | None,
    announced: Announcement | None = None,
) -> None:
    """The change's history entry, and its outbox event when `announced` (a repeated event id
    is ignored, as ``add_outbox`` does)."""
    history = {
        "order_id": order_id,
        "at": at,
        "kind": kind,
        "from_state": from_state,
        "to_state": to_state,
        "data": None if data is None else dict(data),
    }
    if announced is None:
        await conn.execute(_INSERT_EVENT, history)
        return
    event = {
        "event_id": announced.id,
        "type": announced.type,
        "payload": announced.payload(),
        "created_at": at,
    }
    if conn.dialect.name == "postgresql":
        await conn.execute(
            _HISTORY_AND_OUTBOX, {**{f"h_{k}": v for k, v in history.items()}, **event}
        )
        return
    await conn.execute(_INSERT_EVENT, history)
    await conn.execute(ADD_OUTBOX[conn.dialect.name], event)
