"""Orders and their history: every change of a row writes an event in the same transaction.

The reads (``OrderReads``) are in ``order_reads``; the statements a change is written with in
``order_changes``; ``OrderQueries`` is the reads and the writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.account_ledger import settle
from gateway.store.errors import StaleOrder
from gateway.store.order_changes import Announce, add_event, locked_update, update_statement
from gateway.store.order_reads import OrderReads
from gateway.store.quality import record_transitions
from gateway.store.rows import OrderRow
from gateway.store.states import ALL_STATES, GatewayState
from gateway.store.tables import orders
from gateway.store.types import to_json
from providers.models import OrderRequest

UPDATABLE = frozenset(orders.c.keys()) - {
    "id", "client_id", "created_at", "updated_at", "version",
    # An account order's hold is fixed at placement; its settlement is the store's to write.
    "account_id", "client_rate", "client_price", "client_currency", "client_charge",
}  # fmt: skip
"""Columns ``update_order`` may change; the rest are fixed at creation or kept by the store."""

# Built once: a statement's values passed as parameters spare building and keying it anew.
_INSERT_ORDER = orders.insert().returning(*orders.c)


def _request_json(request: OrderRequest | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(request, OrderRequest):
        return dict(request.model_dump(mode="json", exclude_none=True))
    return dict(to_json(request))


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
            await add_event(conn, row.id, now, "created", None, row.state, event_data, announced)
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
                statement, params = update_statement(
                    order_id, changes, now, expected_version, (expected_version, from_state)
                )
                result = await conn.execute(statement, params)
                found_row = result.mappings().one_or_none()
                if found_row is None:
                    current = await self.get_order(order_id, tx=conn)
                    raise StaleOrder(order_id, expected_version, current.version)
                row = OrderRow.from_row(found_row)
            else:
                row, from_state = await locked_update(
                    conn, order_id, expected_version, changes, now
                )
            # Quality buckets before accounts, as the status sync's batches lock them: two
            # writers never wait on each other in opposite orders.
            await record_transitions(conn, [(from_state, row)])
            row, _ = await settle(conn, row, now)
            announced = None if announce is None else announce(row)
            await add_event(
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
