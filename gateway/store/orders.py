"""Orders and their history: every change of a row writes an event in the same transaction.

The reads (``OrderReads``) are in ``order_reads``; ``OrderQueries`` is both."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, exists, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.account_ledger import settle
from gateway.store.errors import OrderNotFound, StaleOrder
from gateway.store.order_reads import OrderReads
from gateway.store.quality import record_transitions
from gateway.store.rows import OrderRow
from gateway.store.states import ALL_STATES, GatewayState
from gateway.store.tables import order_events, orders
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


def _request_json(request: OrderRequest | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(request, OrderRequest):
        return dict(request.model_dump(mode="json", exclude_none=True))
    return dict(to_json(request))


def flagged_if_taken(
    order: OrderRow, provider: str, provider_order_id: str, flag: str
) -> ColumnElement[Any]:
    """The order's ``flags``, with `flag` added when another order already has
    `provider_order_id` at `provider` (a panel that was reset): a value for ``update_order``,
    decided inside its statement, so placing an order reads nothing first."""
    other = _OTHER
    mine = (order.provider, order.provider_order_id) == (provider, provider_order_id)
    taken = exists().where(
        other.c.provider == provider,
        other.c.provider_order_id == provider_order_id,
        # Recorded again: only a newer order's id makes it a reuse (`find_by_provider_order`).
        other.c.id > order.id if mine else other.c.id != order.id,
    )
    flags = list(order.flags or [])
    if flag not in flags:
        flags.append(flag)
    return case((taken, type_coerce(flags, Json)), else_=orders.c.flags)


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
        tx: AsyncConnection | None = None,
    ) -> OrderRow:
        """Record a new order (``RECEIVED`` unless told otherwise) and its ``created`` event.

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
            await _add_event(conn, row.id, now, "created", None, row.state, event_data)
        return row

    async def update_order(
        self,
        order_id: int,
        *,
        event_kind: str,
        event_data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        expected_state: str | None = None,
        tx: AsyncConnection | None = None,
        **changes: Any,
    ) -> OrderRow:
        """Apply `changes` to an order, bump its version and record an `event_kind` event.

        With `expected_version`, raise ``StaleOrder`` unless the row is still at that version
        (another writer got there first); with `expected_state` too (the state of the row the
        caller read), the check and the change are one statement. Raise ``OrderNotFound`` for
        an unknown id.

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
                result = await conn.execute(
                    orders.update()
                    .where(
                        orders.c.id == order_id,
                        orders.c.version == expected_version,
                        orders.c.state == from_state,
                    )
                    .values(**changes, updated_at=now, version=expected_version + 1)
                    .returning(*orders.c)
                )
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
            await _add_event(conn, order_id, now, event_kind, from_state, row.state, event_data)
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
        async with self._write(tx) as conn:
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
    result = await conn.execute(
        orders.update()
        .where(orders.c.id == order_id)
        .values(**changes, updated_at=now, version=version + 1)
        .returning(*orders.c)
    )
    return OrderRow.from_row(result.mappings().one()), from_state


async def _add_event(
    conn: AsyncConnection,
    order_id: int,
    at: datetime,
    kind: str,
    from_state: str | None,
    to_state: str | None,
    data: Mapping[str, Any] | None,
) -> None:
    await conn.execute(
        _INSERT_EVENT,
        {
            "order_id": order_id,
            "at": at,
            "kind": kind,
            "from_state": from_state,
            "to_state": to_state,
            "data": None if data is None else dict(data),
        },
    )
