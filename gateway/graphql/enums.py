"""The schema's enums, mostly the core's own enums exposed under their GraphQL names."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry

from gateway.classify import Metric, Platform, RefillKind
from gateway.health import BreakerState
from gateway.routing import Exclusion, Need
from gateway.store import GatewayState, PriceChangeKind
from gateway.store.refills import REFILL_UNCONFIRMED
from gateway.store.rows import RoutingPolicy
from providers.models import OrderState, RefillState, ServiceType

PlatformEnum = strawberry.enum(
    Platform, name="Platform", description="The social network or site a service works on."
)
MetricEnum = strawberry.enum(
    Metric, name="Metric", description="What a service delivers (followers, likes, views...)."
)
ServiceTypeEnum = strawberry.enum(
    ServiceType,
    name="ServiceType",
    description="The v2 service type: it decides which order fields a service takes.",
)
RefillKindEnum = strawberry.enum(
    RefillKind,
    name="RefillKind",
    description="The refill guarantee: none, a number of days, lifetime, or not stated.",
)
ExclusionReasonEnum = strawberry.enum(
    Exclusion,
    name="ExclusionReason",
    description="Why a provider offering a service cannot take a given order.",
)
NeedEnum = strawberry.enum(
    Need, name="Need", description="A capability the order requires of the provider chosen."
)
HealthStateEnum = strawberry.enum(
    BreakerState,
    name="ProviderHealthState",
    description=(
        "The provider's circuit breaker: CLOSED (healthy), OPEN (skipped after failures), "
        "HALF_OPEN (one probe allowed)."
    ),
)
PriceChangeKindEnum = strawberry.enum(
    PriceChangeKind,
    name="PriceChangeKind",
    description="Whether a provider service appeared, changed its rate, or disappeared.",
)
RoutingPolicyEnum = strawberry.enum(
    RoutingPolicy,
    name="RoutingPolicy",
    description=(
        "How routing ranks the providers able to take an order: CHEAPEST (the lowest quoted "
        "cost), BEST_VALUE (the lowest expected cost of getting the whole quantity delivered), "
        "FASTEST (the lowest expected time among those within a price ceiling)."
    ),
)


@strawberry.enum(description="An order's normalised status, the gateway's own states included.")
class OrderStatus(Enum):
    RECEIVED = strawberry.enum_value(
        GatewayState.RECEIVED.value, description="Recorded; not yet accepted by a provider."
    )
    UNCONFIRMED = strawberry.enum_value(
        GatewayState.UNCONFIRMED.value,
        description="The provider's answer was lost: the order may exist there; never resent.",
    )
    FAILED = strawberry.enum_value(
        GatewayState.FAILED.value, description="Provably placed nowhere; see the order's error."
    )
    PENDING = strawberry.enum_value(OrderState.PENDING.value, description="Accepted, not started.")
    IN_PROGRESS = strawberry.enum_value(
        OrderState.IN_PROGRESS.value, description="Being delivered."
    )
    COMPLETED = strawberry.enum_value(OrderState.COMPLETED.value, description="Delivered.")
    PARTIAL = strawberry.enum_value(
        OrderState.PARTIAL.value, description="Stopped early; the rest was refunded."
    )
    CANCELED = strawberry.enum_value(OrderState.CANCELED.value, description="Canceled.")
    REFUNDED = strawberry.enum_value(OrderState.REFUNDED.value, description="Refunded.")
    PAUSED = strawberry.enum_value(OrderState.PAUSED.value, description="Paused by the provider.")
    EXPIRED = strawberry.enum_value(OrderState.EXPIRED.value, description="Expired.")
    UNKNOWN = strawberry.enum_value(
        OrderState.UNKNOWN.value, description="The provider's status text was not recognised."
    )


@strawberry.enum(description="A refill's normalised status, the gateway's own state included.")
class RefillStatus(Enum):
    UNCONFIRMED = strawberry.enum_value(
        REFILL_UNCONFIRMED,
        description=(
            "The provider's answer to the refill request was lost: the refill may exist "
            "there; the order is not asked again until an operator settles it."
        ),
    )
    PENDING = strawberry.enum_value(RefillState.PENDING.value, description="Accepted, not started.")
    IN_PROGRESS = strawberry.enum_value(
        RefillState.IN_PROGRESS.value, description="Being delivered."
    )
    COMPLETED = strawberry.enum_value(RefillState.COMPLETED.value, description="Delivered.")
    REJECTED = strawberry.enum_value(
        RefillState.REJECTED.value, description="Refused by the provider after review."
    )
    CANCELED = strawberry.enum_value(RefillState.CANCELED.value, description="Canceled.")
    FAILED = strawberry.enum_value(
        RefillState.FAILED.value, description="Not made, or ended with an error."
    )
    UNKNOWN = strawberry.enum_value(
        RefillState.UNKNOWN.value, description="The provider's status text was not recognised."
    )


def refill_status(state: str) -> RefillStatus:
    """The enum member of a refill's ledger state, ``UNKNOWN`` for anything unexpected."""
    try:
        return RefillStatus(state)
    except ValueError:
        return RefillStatus.UNKNOWN


def order_status(state: str) -> OrderStatus:
    """The enum member of a ledger state, ``UNKNOWN`` for anything unexpected."""
    try:
        return OrderStatus(state)
    except ValueError:
        return OrderStatus.UNKNOWN


def status_value(status: OrderStatus) -> str:
    """The ledger state of an enum member (its value, typed as the plain string it is)."""
    return cast(str, status.value)


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum(description="What services can be sorted by.")
class ServiceOrderField(Enum):
    RATE = strawberry.enum_value("rate", description="The cheapest rate, in the base currency.")
    NAME = strawberry.enum_value("name", description="The service's name, case-insensitively.")
    ID = strawberry.enum_value("id", description="The stable service id.")
