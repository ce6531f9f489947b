"""Orders and their history: every change of a row writes an event in the same transaction.

The reads (``OrderReads``) are in ``order_reads``; ``OrderQueries`` is both."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import ClauseElement, ColumnElement, Update, bindparam, case, exists, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.account_ledger import settle
from gateway.store.errors import OrderNotFound, StaleOrder
from gateway.store.order_reads import OrderReads
from gateway.store.outbox import ADD_OUTBOX
from gateway.store.quality import record_transitions
from gateway.store.rows import OrderRow
from gateway.store.states import ALL_STATES, GatewayState
from gateway.store.tables import order_events, orders, outbox
from gateway.store.types import Json, to_json
from providers.models import OrderRequest

UPDATABLE = frozenset(orders.c.keys()) - {
    "id", "client_id", "created_at", "updated_at", "version",
    # An account order's hold is fixed at placement; its settlement is the store's to write.
    "account_id", "client_rate", "client_price", "client_currency", "client_charge",
}  # fmt: skip
"""Columns ``update_order`` may change; the rest are fixed at creation or kept by the store."""

# Built once: a statement's values passed as parameters spare building and keying it anew.
_INSERT_ORDER = orders.insert().returning(*orders.c)
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


def _request_json(request: OrderRequest | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(request, OrderRequest):
        return dict(request.model_dump(mode="json", exclude_none=True))
    return dict(to_json(request))


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


def _update(
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


def _check_state(state: str) -> str:
    if state not in ALL_STATES:
        raise ValueError(f"unknown order state {state!r}")
    return str(state)


class OrderQueries(OrderReads):
    """The order ledger: its reads, and the writes that record an order and its changes."""

    async def create_order(
        self,
        *,
        client_id: str,
        request: OrderRequest | Mapping[str, Any],
        state: str = GatewayState.RECEIVED,
        group_id: int | None = None,
        provider: str | None = None,
        provider_service_id: str | None = None,
        quoted_cost: Decimal | None = None,
        currency: str | None = None,
        provider_cost: Decimal | None = None,
        provider_currency: str | None = None,
        next_poll_at: datetime | None = None,
        event_data: Mapping[str, Any] | None = None,
        account_id: int | None = None,
        client_rate: Decimal | None = None,
        client_price: Decimal | None = None,
        client_currency: str | None = None,
        sent: bool = False,
        announce: Announce | None = None,
        tx: AsyncConnection | None = None,
    ) -> OrderRow:
        """Record a new order (``RECEIVED`` unless told otherwise) and its ``created`` event;
        `announce` makes the outbox event queued with it, from the new row.

        An account's order carries its client rate and price; the caller holds the price
        (``store.hold``) in the same transaction. `sent`: the order's request is leaving for
        its provider as this transaction commits (``sent_at`` set, as ``mark_sent`` would).
        """
        now = self._clock()
        values: dict[str, Any] = {
            "client_id": client_id,
            "request": _request_json(request),
            "state": _check_state(state),
            "group_id": group_id,
            "provider": provider,
            "provider_service_id": provider_service_id,
            "quoted_cost": quoted_cost,
            "currency": currency,
            "provider_cost": provider_cost,
            "provider_currency": provider_currency,
            "next_poll_at": next_poll_at,
            "account_id": account_id,
            "client_rate": client_rate,
            "client_price": client_price,
            "client_currency": client_currency,
            "attempts": [],
            "sent_at": now if sent else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        async with self._write(tx) as conn:
            result = await conn.execute(_INSERT_ORDER, values)
            row = OrderRow.from_row(result.mappings().one())
            announced = None if announce is None else announce(row)
            await _add_event(conn, row.id, now, "created", None, row.state, event_data, announced)
        return row

    async def update_order(
        self,
        order_id: int,
        *,
        event_kind: str,
        event_data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        expected_state: str | None = None,
        announce: Announce | None = None,
        tx: AsyncConnection | None = None,
        **changes: Any,
    ) -> OrderRow:
        """Apply `changes` to an order, bump its version and record an `event_kind` event.

        With `expected_version`, raise ``StaleOrder`` unless the row is still at that version
        (another writer got there first); with `expected_state` too (the state of the row the
        caller read), the check and the change are one statement. Raise ``OrderNotFound`` for
        an unknown id. `announce` makes the outbox event queued with the history entry, from
        the row as the change (and any settlement) left it.

        An account's order that reaches a final state is settled in the same transaction (its
        hold charged and refunded, ``client_charge`` set): every path to a final state passes
        here, so none can skip the settlement, and it happens once.

            row = await store.update_order(row.id, expected_version=row.version,
                                           event_kind="placed", state="PENDING",
                                           provider="rizvi", provider_order_id="123")
        """
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise TypeError(f"cannot update order column(s): {', '.join(sorted(unknown))}")
        if "state" in changes:
            changes["state"] = _check_state(changes["state"])
        if "request" in changes:
            changes["request"] = _request_json(changes["request"])
        now = self._clock()
        async with self._write(tx) as conn:
            if expected_version is not None and expected_state is not None:
                # Compare-and-set in one statement: the row's state before is the one expected.
                from_state = _check_state(expected_state)
                statement, params = _update(
                    order_id, changes, now, expected_version, (expected_version, from_state)
                )
                result = await conn.execute(statement, params)
                found_row = result.mappings().one_or_none()
                if found_row is None:
                    current = await self.get_order(order_id, tx=conn)
                    raise StaleOrder(order_id, expected_version, current.version)
                row = OrderRow.from_row(found_row)
            else:
                row, from_state = await _locked_update(
                    conn, order_id, expected_version, changes, now
                )
            # Quality buckets before accounts, as the status sync's batches lock them: two
            # writers never wait on each other in opposite orders.
            await record_transitions(conn, [(from_state, row)])
            row, _ = await settle(conn, row, now)
            announced = None if announce is None else announce(row)
            await _add_event(
                conn, order_id, now, event_kind, from_state, row.state, event_data, announced
            )
        return row

    async def mark_sent(
        self, order_id: int, expected_version: int, *, tx: AsyncConnection | None = None
    ) -> OrderRow:
        """Record that an order's request is leaving for its provider: ``sent_at`` set and the
        version bumped, in one statement, without a history entry (the outcome's follows).

        ``StaleOrder`` unless the row is still at `expected_version`, so an order settled as
        never sent meanwhile is never sent after all.
        """
        now = self._clock()
        query = (
            orders.update()
            .where(orders.c.id == order_id, orders.c.version == expected_version)
            .values(sent_at=now, updated_at=now, version=expected_version + 1)
            .returning(*orders.c)
        )
        async with self._write_one(tx) as conn:
            found = (await conn.execute(query)).mappings().one_or_none()
        if found is None:
            current = await self.get_order(order_id, tx=tx)
            raise StaleOrder(order_id, expected_version, current.version)
        return OrderRow.from_row(found)


async def _locked_update(
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
    result = await conn.execute(*_update(order_id, changes, now, version))
    return OrderRow.from_row(result.mappings().one()), from_state


async def _add_event(
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
