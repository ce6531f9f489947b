"""What panels answer about orders: the placed order's id, statuses, refills and cancels.

Every status keeps the panel's raw text beside a normalised state (`OrderState`,
`RefillState`), read tolerantly: ``"In progress"``, ``"inprogress"`` and ``"Processing"`` are
all `OrderState.IN_PROGRESS`; text no table knows is ``UNKNOWN``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from providers.money import Money
from providers.values import Id, OptionalCount, squash


class OrderState(StrEnum):
    """Normalised order status."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"
    PAUSED = "PAUSED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, text: object) -> OrderState:
        return _order_state(str(text or ""))

    @property
    def final(self) -> bool:
        return self in _FINAL_ORDER_STATES


_ORDER_STATES = {
    "pending": OrderState.PENDING,
    "awaiting": OrderState.PENDING,
    "inprogress": OrderState.IN_PROGRESS,
    "processing": OrderState.IN_PROGRESS,
    "active": OrderState.IN_PROGRESS,
    "running": OrderState.IN_PROGRESS,
    "completed": OrderState.COMPLETED,
    "complete": OrderState.COMPLETED,
    "partial": OrderState.PARTIAL,
    "canceled": OrderState.CANCELED,
    "cancelled": OrderState.CANCELED,
    "refunded": OrderState.REFUNDED,
    "paused": OrderState.PAUSED,
    "expired": OrderState.EXPIRED,
}


@lru_cache(maxsize=1024)
def _order_state(text: str) -> OrderState:
    """`OrderState.parse` of a text; panels use a handful of texts, so each is squashed once."""
    return _ORDER_STATES.get(squash(text), OrderState.UNKNOWN)


_FINAL_ORDER_STATES = frozenset(
    {
        OrderState.COMPLETED,
        OrderState.PARTIAL,
        OrderState.CANCELED,
        OrderState.REFUNDED,
        OrderState.EXPIRED,
    }
)


class RefillState(StrEnum):
    """Normalised refill status."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, text: object) -> RefillState:
        return _REFILL_STATES.get(squash(str(text or "")), cls.UNKNOWN)

    @property
    def final(self) -> bool:
        return self not in (RefillState.PENDING, RefillState.IN_PROGRESS, RefillState.UNKNOWN)


_REFILL_STATES = {
    "pending": RefillState.PENDING,
    "awaiting": RefillState.PENDING,
    "inprogress": RefillState.IN_PROGRESS,
    "processing": RefillState.IN_PROGRESS,
    "completed": RefillState.COMPLETED,
    "complete": RefillState.COMPLETED,
    "processed": RefillState.COMPLETED,
    "rejected": RefillState.REJECTED,
    "canceled": RefillState.CANCELED,
    "cancelled": RefillState.CANCELED,
    "failed": RefillState.FAILED,
    "error": RefillState.FAILED,
}


class PlacedOrder(BaseModel):
    """The answer to `add`: the panel's order id."""

    model_config = ConfigDict(frozen=True)

    order: Id
    extras: dict[str, Any] = Field(default_factory=dict)


class OrderStatus(BaseModel):
    """An order's status as the panel reports it."""

    model_config = ConfigDict(frozen=True)

    order: Id
    state: OrderState
    raw_status: str
    charge: Money | None = None
    start_count: OptionalCount = None
    remains: OptionalCount = None
    extras: dict[str, Any] = Field(default_factory=dict)


class Refill(BaseModel):
    """A refill created for an order."""

    model_config = ConfigDict(frozen=True)

    order: Id
    refill: Id


class RefillStatus(BaseModel):
    """A refill's status as the panel reports it."""

    model_config = ConfigDict(frozen=True)

    refill: Id
    state: RefillState
    raw_status: str


class CancelResult(BaseModel):
    """A cancel request the panel accepted: "cancel requested", not "refunded"."""

    model_config = ConfigDict(frozen=True)

    order: Id
    accepted: bool = True
