"""Events: every order change becomes an event, written to the outbox with the change itself.

The outbox row is written in the same transaction as the ledger change, so an event is never
lost and never invented: a relay publishes outbox rows to the in-process bus
(`gateway.event_bus.EventBus`, for GraphQL subscriptions) and to webhook endpoints. Event ids are
derived from the order's version, so one change gives one event however many instances see it.

Payloads are versioned JSON::

    {"id": "evt_order_12_v3_completed", "type": "order.completed", "version": 1,
     "created_at": "2026-11-29T05:20:00+00:00", "data": {"order": {...}}}
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

# The rows and states, not the package: the store records account events through this module.
from gateway.store.rows import AccountRow, MovementRow, OrderRow, RefillRow
from gateway.store.states import GatewayState
from providers.models import OrderState

if TYPE_CHECKING:
    from gateway.store import Store

log = logging.getLogger(__name__)

PAYLOAD_VERSION = 1

ORDER_CREATED = "order.created"
ORDER_UPDATED = "order.updated"
ORDER_COMPLETED = "order.completed"
ORDER_PARTIAL = "order.partial"
ORDER_CANCELED = "order.canceled"
ORDER_UNCONFIRMED = "order.unconfirmed"
ORDER_FAILED = "order.failed"
ORDER_OVERCHARGED = "order.overcharged"
REFILL_UPDATED = "refill.updated"
SERVICE_PRICE_CHANGED = "service.price_changed"
PROVIDER_UNHEALTHY = "provider.unhealthy"
PROVIDER_BALANCE_LOW = "provider.balance_low"
PROVIDER_CURRENCY_MISMATCH = "provider.currency_mismatch"
ACCOUNT_TOPPED_UP = "account.topped_up"
ACCOUNT_BALANCE_LOW = "account.balance_low"
SERVICE_MARGIN_BREACHED = "service.margin_breached"

EVENT_TYPES = (
    ORDER_CREATED, ORDER_UPDATED, ORDER_COMPLETED, ORDER_PARTIAL, ORDER_CANCELED,
    ORDER_UNCONFIRMED, ORDER_FAILED, ORDER_OVERCHARGED, REFILL_UPDATED, SERVICE_PRICE_CHANGED,
    PROVIDER_UNHEALTHY, PROVIDER_BALANCE_LOW, PROVIDER_CURRENCY_MISMATCH, ACCOUNT_TOPPED_UP,
    ACCOUNT_BALANCE_LOW, SERVICE_MARGIN_BREACHED,
)  # fmt: skip

# A change into one of these states has an event of its own; other changes are "updated".
_STATE_EVENTS = {
    OrderState.COMPLETED.value: ORDER_COMPLETED,
    OrderState.PARTIAL.value: ORDER_PARTIAL,
    OrderState.CANCELED.value: ORDER_CANCELED,
    OrderState.REFUNDED.value: ORDER_CANCELED,
    GatewayState.UNCONFIRMED.value: ORDER_UNCONFIRMED,
    GatewayState.FAILED.value: ORDER_FAILED,
}
# What a client sees change; routing bookkeeping (provider chosen, attempts) is not an event.
_VISIBLE = (
    "state", "status_raw", "charge", "charge_currency", "start_count", "remains", "error", "flags",
    "client_charge",
)  # fmt: skip

FLAG_PROVIDER_ORDER_ID_REUSED = "provider_order_id_reused"
"""The provider gave this order an id an older order of the gateway already has (a panel that
was reset, or one that merged an identical order into an earlier one)."""


class Event(BaseModel):
    """One event as published: to subscriptions, webhooks and the outbox."""

    id: str
    type: str
    version: int = PAYLOAD_VERSION
    created_at: datetime
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def order_id(self) -> int | None:
        order = self.data.get("order")
        return int(order["id"]) if isinstance(order, dict) and "id" in order else None

    @property
    def client_id(self) -> str | None:
        order = self.data.get("order")
        return str(order["client_id"]) if isinstance(order, dict) else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"  # str() would write 1E-7


def order_data(row: OrderRow) -> dict[str, Any]:
    """The order as events show it (amounts as exact strings); an account's order also carries
    what the client is held (`client_price`) and, once settled, what it paid (`client_charge`)."""
    data: dict[str, Any] = {
        "id": row.id,
        "client_id": row.client_id,
        "service": row.group_id,
        "state": row.state,
        "status": row.status_raw,
        "provider": row.provider,
        "cost": _money(row.quoted_cost),
        "currency": row.currency,
        "charge": _money(row.charge),
        "charge_currency": row.charge_currency or row.provider_currency,
        "start_count": row.start_count,
        "remains": row.remains,
        "error": row.error,
        "flags": list(row.flags or []),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    if row.account_id is not None:
        data["account_id"] = row.account_id
        data["client_price"] = _money(row.client_price)
        data["client_charge"] = _money(row.client_charge)
        data["client_currency"] = row.client_currency
    return data


def order_event_type(before: OrderRow | None, after: OrderRow) -> str | None:
    """The event a change from `before` to `after` gives, or None if nothing visible changed."""
    if before is None:
        return ORDER_CREATED
    if after.state != before.state and after.state in _STATE_EVENTS:
        return _STATE_EVENTS[after.state]
    if any(getattr(before, f) != getattr(after, f) for f in _VISIBLE):
        return ORDER_UPDATED
    return None


def order_event(before: OrderRow | None, after: OrderRow, **extra: Any) -> Event | None:
    kind = order_event_type(before, after)
    if kind is None:
        return None
    return Event(
        id=f"evt_order_{after.id}_v{after.version}_{kind.split('.')[1]}",
        type=kind,
        created_at=after.updated_at,
        data={"order": order_data(after), **extra},
    )


def refill_event(order: OrderRow, refill: RefillRow) -> Event:
    """A refill of `order` was created or changed state."""
    return Event(
        id=f"evt_refill_{refill.id}_{refill.state.lower()}",
        type=REFILL_UPDATED,
        created_at=refill.updated_at,
        data={
            "order": order_data(order),
            "refill": {
                "id": refill.id, "order_id": refill.order_id, "state": refill.state,
                "status": refill.status_raw, "updated_at": refill.updated_at.isoformat(),
            },
        },
    )  # fmt: skip


def provider_unhealthy(name: str, error: str, cooldown: float, at: datetime) -> Event:
    """`name` failed often enough to be left out of routing for `cooldown` seconds."""
    return Event(
        id=f"evt_provider_{name}_unhealthy_{int(at.timestamp())}",
        type=PROVIDER_UNHEALTHY,
        created_at=at,
        data={"provider": {"name": name, "error": error, "cooldown_seconds": cooldown}},
    )


def order_overcharged(row: OrderRow) -> Event:
    """`row` was charged above the provider cost quoted for it; announced once per order."""
    return Event(
        id=f"evt_order_{row.id}_overcharged",
        type=ORDER_OVERCHARGED,
        created_at=row.updated_at,
        data={
            "order": order_data(row),
            "quoted": _money(row.provider_cost),
            "quoted_currency": row.provider_currency,
        },
    )


def provider_currency_mismatch(
    name: str, configured: str, reported: str, source: str, at: datetime
) -> Event:
    """`name` reported money (`source`: its balance or a status) in a currency not configured."""
    return Event(
        id=f"evt_provider_{name}_currency_mismatch_{source}_{int(at.timestamp() * 1_000_000)}",
        type=PROVIDER_CURRENCY_MISMATCH,
        created_at=at,
        data={
            "provider": {"name": name},
            "configured": configured,
            "reported": reported,
            "source": source,
        },
    )


def account_data(account: AccountRow) -> dict[str, Any]:
    """The account as events show it (amounts as exact strings)."""
    return {
        "id": account.id,
        "name": account.name,
        "currency": account.currency,
        "state": account.state,
        "balance": _money(account.balance),
        "held": _money(account.held),
        "credit_limit": _money(account.credit_limit),
        "available": _money(account.available),
        "low_balance": _money(account.low_balance),
    }


def movement_data(movement: MovementRow) -> dict[str, Any]:
    return {
        "id": movement.id,
        "kind": movement.kind,
        "amount": _money(movement.amount),
        "order_id": movement.order_id,
        "reason": movement.reason,
        "created_at": movement.created_at.isoformat(),
    }


def account_topped_up(account: AccountRow, movement: MovementRow) -> Event:
    """`movement` (a top-up) added funds; `account` as it stands after it."""
    return Event(
        id=f"evt_account_{account.id}_topped_up_{movement.id}",
        type=ACCOUNT_TOPPED_UP,
        created_at=movement.created_at,
        data={"account": account_data(account), "movement": movement_data(movement)},
    )


def account_balance_low(account: AccountRow, movement: MovementRow) -> Event:
    """`movement` took the balance from at least `account.low_balance` to below it."""
    return Event(
        id=f"evt_account_{account.id}_balance_low_{movement.id}",
        type=ACCOUNT_BALANCE_LOW,
        created_at=movement.created_at,
        data={
            "account": account_data(account),
            "threshold": _money(account.low_balance),
            "movement": movement_data(movement),
        },
    )


def margin_breached(
    account: AccountRow, service_id: int, cost_rate: Decimal, price_rate: Decimal, at: datetime
) -> Event:
    """A placement for `account` was refused: at the client's `price_rate` (per 1000) every
    member's `cost_rate` breaks the account's minimum margin."""
    return Event(
        id=f"evt_service_{service_id}_margin_breached_{account.id}_{int(at.timestamp() * 1e6)}",
        type=SERVICE_MARGIN_BREACHED,
        created_at=at,
        data={
            "account": account.name,
            "account_id": account.id,
            "service_id": service_id,
            "cost_rate": _money(cost_rate),
            "price_rate": _money(price_rate),
        },
    )


async def record(store: Store, tx: AsyncConnection, events: Iterable[Event | None]) -> None:
    """Queue `events` in the outbox, inside the caller's transaction."""
    for event in events:
        if event is not None:
            await store.add_outbox(tx, event.id, event.type, event.payload())


def event_from_payload(payload: dict[str, Any]) -> Event:
    return Event.model_validate(payload)
