"""Build catalog snapshots from plain service lists, for routing and catalog tests."""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from gateway.catalog import OfferKey, Snapshot, assemble, classify_service, plan_groups
from gateway.config import GroupSection
from providers.models import Money, Service, ServiceType


def service(
    sid: str,
    name: str,
    rate: str,
    *,
    currency: str = "USD",
    category: str = "",
    kind: ServiceType = ServiceType.DEFAULT,
    min: int = 10,
    max: int = 10_000,
    refill: bool = False,
    cancel: bool = False,
    dripfeed: bool | None = None,
) -> Service:
    return Service(
        id=sid, name=name, type=kind, raw_type=kind.value, category=category,
        rate=Money(amount=Decimal(rate), currency=currency), min=min, max=max,
        refill=refill, cancel=cancel, dripfeed=dripfeed,
    )  # fmt: skip


def snapshot(
    by_provider: Mapping[str, Sequence[Service]],
    *,
    explicit: Sequence[GroupSection] = (),
    to_base: Mapping[str, Decimal] | None = None,
) -> Snapshot:
    services: dict[OfferKey, Service] = {
        (p, s.id): s for p, items in by_provider.items() for s in items
    }
    classes = {k: classify_service(s) for k, s in services.items()}
    plans = plan_groups({k: (s, classes[k]) for k, s in services.items()}, explicit)
    offer_ids = {k: i + 1 for i, k in enumerate(sorted(services))}
    group_ids = {p.key: i + 1 for i, p in enumerate(sorted(plans, key=lambda p: p.key))}
    rates = {"USD": Decimal(1), **(to_base or {})}
    return assemble(services, classes, plans, offer_ids, group_ids, rates, "USD")
