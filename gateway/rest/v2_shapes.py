"""The v2 answer shapes, exactly as the seed shows them: strings where it has strings
(`rate`, `min`, `charge`, `balance`...), integers where it has integers (`service`, `order`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.catalog import Group, Offer, listed_rate
from gateway.config import ConfigError
from gateway.orders.split_plan import split_most
from gateway.routing import ProviderState
from gateway.store import GatewayState, OrderRow, RefillRow
from gateway.store.refills import REFILL_UNCONFIRMED
from providers.models import OrderState, RefillState, ServiceType

MONEY_PLACES = Decimal("0.00001")
RATE_PLACES = Decimal("0.00000001")

_ORDER_TEXTS = {
    OrderState.PENDING.value: "Pending",
    OrderState.IN_PROGRESS.value: "In progress",
    OrderState.COMPLETED.value: "Completed",
    OrderState.PARTIAL.value: "Partial",
    OrderState.CANCELED.value: "Canceled",
    OrderState.REFUNDED.value: "Refunded",
    OrderState.PAUSED.value: "Paused",
    OrderState.EXPIRED.value: "Expired",
    # Not yet (or not provably) with a provider: to the client it is waiting.
    GatewayState.RECEIVED.value: "Pending",
    GatewayState.UNCONFIRMED.value: "Pending",
    # Never placed anywhere, so nothing was charged: a panel calls that canceled.
    GatewayState.FAILED.value: "Canceled",
}
REFILL_UNCONFIRMED_STATUS = "Awaiting confirmation"
"""The v2 refill status of an ``UNCONFIRMED`` refill: a waiting state, in words a panel's
user reads as such."""
_REFILL_TEXTS = {
    RefillState.PENDING.value: "Pending",
    RefillState.IN_PROGRESS.value: "In progress",
    RefillState.COMPLETED.value: "Completed",
    RefillState.REJECTED.value: "Rejected",
    RefillState.CANCELED.value: "Canceled",
    RefillState.FAILED.value: "Failed",
    # Asked, the panel's answer lost: the refill may exist there. Never asked again meanwhile.
    REFILL_UNCONFIRMED: REFILL_UNCONFIRMED_STATUS,
}


def money_text(value: Decimal) -> str:
    """Money as panels show it: five decimals ("0.27819"), never an exponent ("1E-7")."""
    return f"{value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP):f}"


def rate_text(value: Decimal) -> str:
    """A rate per 1000, without trailing zeros beyond two decimals ("0.90", "8.00", "0.972")."""
    exact = value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP).normalize()
    if exact.as_tuple().exponent > -2:  # type: ignore[operator]
        exact = exact.quantize(Decimal("0.01"))
    return f"{exact:f}"


def provider_open(state: ProviderState | None) -> bool:
    """Whether routing could choose a provider's offers now: enabled, healthy, in its
    currency, catalog fresh, not out of funds."""
    if state is None or state.held() is not None:
        return False
    return state.balance is None or state.balance.amount > 0


def usable(offer: Offer, state: ProviderState | None, cap: Decimal | None) -> bool:
    """Whether routing could choose `offer` now: its provider open, rate under the group's cap."""
    return provider_open(state) and (cap is None or offer.rate <= cap)


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group as a v2 service: what the members that can take orders now offer together."""

    group: Group
    members: tuple[Offer, ...]

    @classmethod
    def of(cls, group: Group, states: Mapping[str, ProviderState]) -> GroupView | None:
        members = tuple(
            m for m in group.members if usable(m, states.get(m.provider), group.max_rate)
        )
        return cls(group, members) if members else None

    @property
    def min(self) -> int:
        return min(m.service.min for m in self.members)

    @property
    def max(self) -> int:
        return max(m.service.max for m in self.members)

    @property
    def split_max(self) -> int:
        """The most one order can be, split across providers: a part per provider, each up to
        its largest maximum (`gateway.orders.split_plan`)."""
        return split_most(self.members)

    def entry(self) -> dict[str, Any]:
        group = self.group
        cheapest = min(self.members, key=lambda m: m.rate)
        kind = group.type.value
        if group.type is ServiceType.UNKNOWN:
            kind = cheapest.service.raw_type or kind
        if group.key.startswith("auto:"):
            category = group.name.split(" - ", 1)[0]
        else:
            category = cheapest.service.category or "Other"
        return {
            "service": group.id,
            "name": group.name,
            "type": kind,
            "category": category,
            "rate": rate_text(listed_rate(self.members)),
            "min": str(self.min),
            "max": str(self.max),
            "refill": any(m.service.refill for m in self.members),
            "cancel": any(m.service.cancel for m in self.members),
        }


def order_status_text(row: OrderRow) -> str:
    text = _ORDER_TEXTS.get(row.state)
    return text or row.status_raw or "Pending"


def refill_status_text(row: RefillRow) -> str:
    text = _REFILL_TEXTS.get(row.state)
    return text or row.status_raw or "Pending"


def _units(row: OrderRow) -> int:
    """What a not-yet-started order still has to deliver: all of it, every run of a drip-feed
    (as its panel counts its remains, and its charge)."""
    try:
        request = row.order_request()
    except ValueError:
        return 0
    return request.units * (request.runs or 1)


def status_entry(
    row: OrderRow, base_currency: str, to_base: Callable[[str], Decimal]
) -> dict[str, Any]:
    """An order's status as the caller sees it: charge in the gateway's base currency.

    The charge converts from the currency the panel charged in (`to_base` gives units of base
    per unit); a currency without a configured rate shows the quoted cost instead.
    """
    charge = Decimal(0)
    charged_in = row.charge_currency or row.provider_currency
    rate = None
    if charged_in:
        try:
            rate = to_base(charged_in)
        except ConfigError:
            rate = None
    if row.state == GatewayState.FAILED:
        pass
    elif row.charge is not None and rate is not None:
        charge = row.charge * rate
    elif row.quoted_cost is not None:
        charge = row.quoted_cost
    remains = row.remains
    if remains is None:
        remains = _units(row)
    return {
        "charge": money_text(charge),
        "start_count": str(row.start_count or 0),
        "status": order_status_text(row),
        "remains": str(remains),
        "currency": base_currency,
    }
