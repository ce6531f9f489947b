"""The unified catalog: every provider's services, priced in the base currency and grouped.

A *group* is one product sold by several providers ("Instagram Followers, 30-day refill"). Groups
come from the configuration first (explicit members), then from conservative automatic matching
on the classification (same platform, metric, order type, refill class and geo). Every group and
every provider service has a stable integer id, kept in the store, that survives re-syncs and
restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property

from gateway.classify import Classification, Metric, Platform, RefillKind, classify
from gateway.config import GroupSection
from providers.models import Service, ServiceType

OfferKey = tuple[str, str]
"""(provider name, provider service id)."""


@dataclass(frozen=True, slots=True)
class Offer:
    """One provider's service, with its rate in the base currency."""

    id: int
    provider: str
    service: Service
    to_base: Decimal
    """Units of base currency per unit of the provider's currency."""
    base_currency: str
    classification: Classification

    @property
    def key(self) -> OfferKey:
        return (self.provider, self.service.id)

    @property
    def rate(self) -> Decimal:
        """Price per 1000 in the base currency."""
        return self.service.rate.amount * self.to_base


def listed_rate(members: Sequence[Offer]) -> Decimal:
    """The rate per 1000 a group's `members` are listed at: the most an order within their
    joint range (smallest minimum to largest maximum) can cost, routed to the cheapest member
    that takes its quantity. An order is then never charged above the listed rate, though the
    cheapest member may take only larger orders than the listed minimum.

    Members at 4 for 100 and up and at 7 for 50 and up list at 7 (an order of 50 costs 7);
    members at 4 for 10 and up and at 7 for 50 to 500 list at 4.
    """
    if not members:
        raise ValueError("a group without members has no rate")
    bounds = {m.service.min for m in members} | {m.service.max + 1 for m in members}
    dearest = None
    for quantity in sorted(bounds):
        rates = [m.rate for m in members if m.service.min <= quantity <= m.service.max]
        cheapest = min(rates, default=None)
        if cheapest is not None and (dearest is None or cheapest > dearest):
            dearest = cheapest
    assert dearest is not None  # the smallest minimum is taken by its own member
    return dearest


@dataclass(frozen=True)
class Group:
    """Equivalent offers across providers; `members` cheapest first."""

    id: int
    key: str
    name: str
    type: ServiceType
    classification: Classification | None
    members: tuple[Offer, ...]
    max_rate: Decimal | None = None
    explicit: bool = False

    @property
    def cheapest(self) -> Offer:
        return self.members[0]

    @cached_property
    def min(self) -> int:
        return min(m.service.min for m in self.members)

    @cached_property
    def max(self) -> int:
        return max(m.service.max for m in self.members)

    @property
    def refill(self) -> bool:
        return any(m.service.refill for m in self.members)

    @property
    def cancel(self) -> bool:
        return any(m.service.cancel for m in self.members)

    @property
    def dripfeed(self) -> bool:
        return any(m.service.dripfeed for m in self.members)

    @property
    def providers(self) -> frozenset[str]:
        return frozenset(m.provider for m in self.members)


@dataclass(frozen=True)
class Snapshot:
    """The merged catalog at one moment."""

    groups: Mapping[int, Group]
    offers: Mapping[OfferKey, Offer]
    group_of: Mapping[int, int]
    """Offer id -> group id."""
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def empty(cls) -> Snapshot:
        return cls(groups={}, offers={}, group_of={})


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """A group before it has an id."""

    key: str
    name: str
    members: tuple[OfferKey, ...]
    max_rate: Decimal | None = None
    explicit: bool = False


_LABELS = {
    Platform.TIKTOK: "TikTok",
    Platform.YOUTUBE: "YouTube",
    Platform.TWITTER: "X (Twitter)",
    Platform.LINKEDIN: "LinkedIn",
    Platform.SOUNDCLOUD: "SoundCloud",
    Platform.VK: "VK",
}


def _label(value: str) -> str:
    return value.replace("_", " ").title()


def refill_label(c: Classification) -> str:
    kind = c.refill.kind
    if kind is RefillKind.DAYS:
        return f"Refill {c.refill.days}d"
    return {
        RefillKind.NONE: "No refill",
        RefillKind.LIFETIME: "Lifetime refill",
        RefillKind.UNSPECIFIED: "Refill",
        RefillKind.UNKNOWN: "Refill not stated",
    }[kind]


def group_title(c: Classification) -> str:
    """A readable name for an automatic group: "Instagram Followers - Refill 30d - US"."""
    what = _label(c.metric)
    if c.target.value != "any":
        what = f"{_label(c.target)} {what}"
    parts = [f"{_LABELS.get(c.platform, _label(c.platform))} {what}"]
    if c.order_type.value != "default":
        parts.append(_label(c.order_type))
    parts.append(refill_label(c))
    parts.extend(p for p in (c.geo, c.region and _label(c.region)) if p)
    if c.auto:
        parts.append("Auto")
    return " - ".join(parts)


def group_key(c: Classification) -> str:
    """The automatic grouping key as text: equal keys are interchangeable services."""
    refill = c.refill.kind.value + (str(c.refill.days) if c.refill.days else "")
    return "/".join(
        (
            c.platform, c.metric, c.target, "+".join(sorted(c.extras)) or "-", c.order_type,
            refill, c.geo or "-", c.region or "-", "auto" if c.auto else "-",
        )
    )  # fmt: skip


def plan_groups(
    services: Mapping[OfferKey, tuple[Service, Classification]],
    explicit: Sequence[GroupSection] = (),
) -> list[GroupPlan]:
    """Assign every service to exactly one group: explicit groups first, then automatic ones.

    Automatic grouping is conservative: services whose platform or metric is unknown stay in a
    group of their own, and the key holds platform, metric, order type, refill class and geo.
    """
    plans: list[GroupPlan] = []
    taken: set[OfferKey] = set()
    for section in explicit:
        members: list[OfferKey] = []
        for member in section.members:
            provider, service_id = member.split(":", 1)
            wanted = (provider, service_id)
            if wanted in services and wanted not in taken:
                members.append(wanted)
                taken.add(wanted)
        if members:
            plans.append(
                GroupPlan(
                    key=f"explicit:{section.name}",
                    name=section.name,
                    members=tuple(members),
                    max_rate=section.max_rate,
                    explicit=True,
                )
            )
    automatic: dict[str, list[OfferKey]] = {}
    names: dict[str, str] = {}
    for offer_key, (service, c) in services.items():
        if offer_key in taken:
            continue
        if c.platform is Platform.OTHER or c.metric is Metric.OTHER:
            group = f"single:{offer_key[0]}:{offer_key[1]}"
            names[group] = service.name
        else:
            group = f"auto:{group_key(c)}"
            names.setdefault(group, group_title(c))
        automatic.setdefault(group, []).append(offer_key)
    plans.extend(GroupPlan(key, names[key], tuple(sorted(m))) for key, m in automatic.items())
    return plans


def classify_service(service: Service) -> Classification:
    return classify(service.name, service.category, service.raw_type, refill_flag=service.refill)


def assemble(
    services: Mapping[OfferKey, Service],
    classifications: Mapping[OfferKey, Classification],
    plans: Iterable[GroupPlan],
    offer_ids: Mapping[OfferKey, int],
    group_ids: Mapping[str, int],
    to_base: Mapping[str, Decimal],
    base_currency: str,
) -> Snapshot:
    """Build the snapshot once ids are known. `to_base` is keyed by currency."""
    offers = {
        key: Offer(
            id=offer_ids[key],
            provider=key[0],
            service=service,
            to_base=to_base[service.rate.currency],
            base_currency=base_currency,
            classification=classifications[key],
        )
        for key, service in services.items()
    }
    groups: dict[int, Group] = {}
    group_of: dict[int, int] = {}
    for plan in plans:
        members = sorted(
            (offers[m] for m in plan.members), key=lambda o: (o.rate, o.provider, o.id)
        )
        first = members[0]
        group = Group(
            id=group_ids[plan.key],
            key=plan.key,
            name=plan.name,
            type=first.service.type,
            classification=None if plan.explicit else first.classification,
            members=tuple(members),
            max_rate=plan.max_rate,
            explicit=plan.explicit,
        )
        groups[group.id] = group
        group_of.update(dict.fromkeys((m.id for m in members), group.id))
    return Snapshot(groups=groups, offers=offers, group_of=group_of)
