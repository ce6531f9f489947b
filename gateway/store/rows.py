"""What the store's queries return: frozen snapshots of rows, detached from any connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self

from sqlalchemy import RowMapping

from providers.models import OrderRequest


class _FromRow:
    @classmethod
    def from_row(cls, row: RowMapping | Mapping[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True, slots=True)
class OrderRow(_FromRow):
    """One gateway order as the ledger holds it; `state` is a ``GatewayState`` or an
    ``OrderState`` value."""

    id: int
    client_id: str
    request: dict[str, Any]
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    group_id: int | None = None
    provider: str | None = None
    provider_service_id: str | None = None
    provider_order_id: str | None = None
    quoted_cost: Decimal | None = None
    currency: str | None = None
    provider_cost: Decimal | None = None
    provider_currency: str | None = None
    charge: Decimal | None = None
    status_raw: str | None = None
    start_count: int | None = None
    remains: int | None = None
    error: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    next_poll_at: datetime | None = None
    charge_currency: str | None = None
    sent_at: datetime | None = None
    synced_at: datetime | None = None
    flags: list[str] | None = None
    account_id: int | None = None
    client_rate: Decimal | None = None
    client_price: Decimal | None = None
    client_currency: str | None = None
    client_charge: Decimal | None = None
    parent_id: int | None = None
    plan: dict[str, Any] | None = None
    next_run_at: datetime | None = None

    def order_request(self) -> OrderRequest:
        """The stored request, validated again as an ``OrderRequest``."""
        return OrderRequest.model_validate(self.request)


_ORDER_SLOTS: tuple[Callable[[OrderRow, Any], None], ...] = tuple(
    getattr(OrderRow, f.name).__set__ for f in fields(OrderRow)
)
_new_order = OrderRow.__new__
if hasattr(OrderRow, "__post_init__"):
    raise TypeError("order_row would skip OrderRow.__post_init__")


def order_row(values: Sequence[Any]) -> OrderRow:
    """``OrderRow(*values)``, `values` being every field's in order, about twice as fast: each
    slot set by its own descriptor, not by the dataclass's ``__init__`` (which calls
    ``object.__setattr__`` a field, the class being frozen). The same row, equal and hashed
    alike; it has no ``__post_init__`` to skip."""
    row = _new_order(OrderRow)
    for put, value in zip(_ORDER_SLOTS, values, strict=True):
        put(row, value)
    return row


@dataclass(frozen=True, slots=True)
class OrderEvent(_FromRow):
    """One entry of an order's history."""

    id: int
    order_id: int
    at: datetime
    kind: str
    from_state: str | None
    to_state: str | None
    data: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class RefillRow(_FromRow):
    """A refill a provider accepted; `id` is the gateway's refill id."""

    id: int
    order_id: int
    provider: str
    provider_refill_id: str | None
    state: str
    created_at: datetime
    updated_at: datetime
    status_raw: str | None = None
    next_poll_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """An idempotency key's claim as one request saw it.

    `owner` is true for the request that holds the claim: it places the order and attaches it
    with its `token`. Everyone else sees the claim as it stands: the holder's `fingerprint` and
    `token`, and its `order_id`, which is ``None`` while the holder is still working. A waiter
    that finds the claim abandoned passes that `token` to ``take_over_idempotency_key``, which
    replaces it only if nobody else did first. `read_at` is the store's time of the reading.
    """

    owner: bool
    client_id: str
    key: str
    fingerprint: str
    order_id: int | None
    created_at: datetime
    token: str | None
    read_at: datetime
    orphaned: bool = False
    """The claiming process has stopped heartbeating: its request will never attach."""

    def matches(self, fingerprint: str) -> bool:
        """Whether a retry carries the same request as the first use of the key."""
        return self.fingerprint == fingerprint

    @property
    def age(self) -> timedelta:
        """How long the claim had been held when it was read."""
        return self.read_at - self.created_at


class PriceChangeKind(StrEnum):
    """What happened to a provider service's rate."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class PriceChange(_FromRow):
    """A provider service appeared, changed rate or disappeared; `id` is set once recorded."""

    provider: str
    provider_service_id: str
    kind: PriceChangeKind | str
    old_rate: Decimal | None
    new_rate: Decimal | None
    currency: str
    at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ApiKeyRow(_FromRow):
    """A gateway API key, without its secret or the secret's hash."""

    id: int
    name: str
    prefix: str
    client_id: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    account_id: int | None = None
    routing_policy: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AccountState(StrEnum):
    """Whether an account may place orders."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class MarginPolicy(StrEnum):
    """What placement does when the cheapest provider's cost breaks the minimum margin."""

    SKIP = "skip"
    REPRICE = "reprice"


class RoutingPolicy(StrEnum):
    """How routing ranks the members able to take an order (``gateway.policies``)."""

    CHEAPEST = "cheapest"
    BEST_VALUE = "best_value"
    FASTEST = "fastest"


class MovementKind(StrEnum):
    """What moved an account's money (see ``gateway.store.account_ledger`` for the entries)."""

    TOPUP = "topup"
    ADJUSTMENT = "adjustment"
    HOLD = "hold"
    CHARGE = "charge"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class AccountRow(_FromRow):
    """A client account: `balance` is the funds not held (holds take it down to
    ``-credit_limit`` at most, operator adjustments anywhere), `held` what its open orders hold;
    amounts in `currency`."""

    id: int
    name: str
    currency: str
    state: str
    balance: Decimal
    held: Decimal
    price_list: dict[str, Any]
    margin_policy: str
    created_at: datetime
    updated_at: datetime
    version: int
    credit_limit: Decimal | None = None
    spend_cap_day: Decimal | None = None
    spend_cap_month: Decimal | None = None
    low_balance: Decimal | None = None
    routing_policy: str | None = None

    @property
    def available(self) -> Decimal:
        """What a hold may take: the balance plus the credit limit (below 0 when an adjustment
        or a lowered limit left the account past its credit limit)."""
        return self.balance + (self.credit_limit or Decimal(0))

    @property
    def active(self) -> bool:
        return self.state == AccountState.ACTIVE


@dataclass(frozen=True, slots=True)
class MovementRow(_FromRow):
    """One movement of an account's money.

    `amount` is its signed effect on the account's balance (a top-up or refund adds, a hold
    takes); a charge, which moves held funds to revenue, carries minus what was charged.
    """

    id: int
    account_id: int
    kind: str
    amount: Decimal
    created_at: datetime
    order_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow(_FromRow):
    """An event waiting to be (or already) published."""

    id: int
    event_id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime
    published_at: datetime | None = None
