"""Which provider takes an order: the eligible members of a group, cheapest first.

A member is eligible when the quantity is within its limits, it offers what the order needs
(refill, cancel, drip-feed), its provider is enabled, healthy and funded (where the balance is
known), reports money in its configured currency, has a catalog synced recently enough for its
prices to hold, and its rate is under the group's cap. Ties in cost go to the lower provider
priority. A routing policy (`gateway.policies`, passed as `rank`) may re-rank the candidates.
A quote explains itself: the ranked candidates (under a policy, each with its quality
estimate, why it ranked there and whether it was chosen to explore) and the reason each other
member was left out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from gateway.catalog import Group, Offer, OfferKey
from providers.models import Money, OrderRequest

if TYPE_CHECKING:
    from gateway.estimates import Estimate


class Need(StrEnum):
    """A capability an order asks of the provider beyond placing it."""

    REFILL = "refill"
    CANCEL = "cancel"


class Exclusion(StrEnum):
    """Why a member of a group cannot take an order."""

    QUANTITY_BELOW_MIN = "quantity below the service's minimum"
    QUANTITY_ABOVE_MAX = "quantity above the service's maximum"
    NO_REFILL = "service offers no refill"
    NO_CANCEL = "service offers no cancel"
    NO_DRIPFEED = "service offers no drip-feed"
    TYPE_MISMATCH = "service type differs from the order's"
    PROVIDER_DISABLED = "provider disabled"
    PROVIDER_COOLDOWN = "provider in cooldown after failures"
    INSUFFICIENT_BALANCE = "provider balance too low"
    ABOVE_RATE_CAP = "rate above the group's cap"
    CURRENCY_MISMATCH = "currency mismatch"
    """The panel reports its balance or charges in another currency than configured."""
    CATALOG_STALE = "catalog stale"
    """The provider's prices were not synced for several refresh intervals."""
    MARGIN_BREACHED = "price below the account's minimum margin"
    """At the client's price, this member's cost would break the account's minimum margin
    (`gateway.accounts.pricing`)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member able to take the order, with what it would cost."""

    offer: Offer
    cost: Money
    """In the base currency."""
    provider_cost: Money
    """In the provider's currency: what the provider will charge."""
    priority: int = 0
    estimate: Estimate | None = None
    """Its quality figures (with samples), expected cost and time; set by a policy."""
    reason: str = ""
    """Why it ranked where it did; set by a policy."""
    explored: bool = False
    """Moved first to explore: it has too few finished orders for a score of its own."""


@dataclass(frozen=True, slots=True)
class Excluded:
    offer: Offer
    reason: Exclusion
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Quote:
    """The routing decision for one order: `candidates` ranked, `chosen` the first."""

    group: Group
    request: OrderRequest
    candidates: tuple[Candidate, ...]
    excluded: tuple[Excluded, ...] = field(default=())
    policy: str = "cheapest"
    """The routing policy that ranked the candidates."""
    policy_source: str = "default"
    """Where the policy came from: request, key, account, group, config or default."""

    @property
    def chosen(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def explored(self) -> bool:
        """Whether the chosen candidate was chosen to explore rather than by the policy."""
        return self.chosen is not None and self.chosen.explored


@dataclass(frozen=True, slots=True)
class ProviderState:
    """What routing needs to know of a provider right now."""

    enabled: bool = True
    available: bool = True
    """False while its circuit breaker is open."""
    balance: Money | None = None
    """In the provider's currency; None when unknown (then assumed sufficient)."""
    priority: int = 0
    currency_mismatch: str | None = None
    """What the panel reported in another currency than configured, if it did."""
    catalog_stale: str | None = None
    """How old the provider's catalog is, when older than prices may be trusted."""

    def held(self) -> tuple[Exclusion, str] | None:
        """Why every offer of this provider is left out now, whatever the order."""
        if not self.enabled:
            return Exclusion.PROVIDER_DISABLED, ""
        if not self.available:
            return Exclusion.PROVIDER_COOLDOWN, ""
        if self.currency_mismatch is not None:
            return Exclusion.CURRENCY_MISMATCH, self.currency_mismatch
        if self.catalog_stale is not None:
            return Exclusion.CATALOG_STALE, self.catalog_stale
        return None


def _exclusion(
    offer: Offer,
    request: OrderRequest,
    needs: frozenset[Need],
    cap: Decimal | None,
    lacking_dripfeed: Collection[OfferKey],
) -> tuple[Exclusion, str] | None:
    service = offer.service
    units = request.units
    if service.type is not request.service_type:
        return Exclusion.TYPE_MISMATCH, f"{service.type.value} vs {request.service_type.value}"
    if units < service.min:
        return Exclusion.QUANTITY_BELOW_MIN, f"{units} < {service.min}"
    if units > service.max:
        return Exclusion.QUANTITY_ABOVE_MAX, f"{units} > {service.max}"
    # A subscription's units are its max per post; its min per post must fit the service too.
    if request.min is not None and request.min < service.min:
        return Exclusion.QUANTITY_BELOW_MIN, f"min {request.min} < {service.min}"
    if Need.REFILL in needs and not service.refill:
        return Exclusion.NO_REFILL, ""
    if Need.CANCEL in needs and not service.cancel:
        return Exclusion.NO_CANCEL, ""
    # An unknown drip-feed flag (most panels don't send one) is not a refusal; a refusal of
    # one by the panel lately (`lacking_dripfeed`) is.
    if request.dripfeed and service.dripfeed is False:
        return Exclusion.NO_DRIPFEED, ""
    if request.dripfeed and offer.key in lacking_dripfeed:
        return Exclusion.NO_DRIPFEED, "refused by the panel lately"
    if cap is not None and offer.rate > cap:
        return Exclusion.ABOVE_RATE_CAP, f"{offer.rate:f} > {cap:f}"
    return None


def quote(
    group: Group,
    request: OrderRequest,
    providers: Mapping[str, ProviderState],
    *,
    needs: frozenset[Need] = frozenset(),
    rank: Callable[[Quote], Quote] | None = None,
    lacking_dripfeed: Collection[OfferKey] = frozenset(),
) -> Quote:
    """Rank the members of `group` for `request`, cheapest first, then by `rank` (a routing
    policy) when given; see the module docstring for the rules. `lacking_dripfeed` are the
    members known to refuse a drip-feed though their listing does not say."""
    candidates: list[Candidate] = []
    excluded: list[Excluded] = []
    for offer in group.members:
        state = providers.get(offer.provider, ProviderState(enabled=False))
        reason = _exclusion(offer, request, needs, group.max_rate, lacking_dripfeed)
        reason = reason or state.held()
        provider_cost = offer.service.cost(request)
        balance = state.balance
        if reason is None and balance is not None and balance.amount < provider_cost.amount:
            reason = Exclusion.INSUFFICIENT_BALANCE, f"{balance} < {provider_cost}"
        if reason is not None:
            excluded.append(Excluded(offer, *reason))
            continue
        cost = Money(amount=provider_cost.amount * offer.to_base, currency=offer.base_currency)
        candidates.append(Candidate(offer, cost, provider_cost, state.priority))
    candidates.sort(key=lambda c: (c.cost.amount, c.priority, c.offer.provider, c.offer.id))
    ranked = Quote(group, request, tuple(candidates), tuple(excluded))
    return ranked if rank is None else rank(ranked)
