"""How well a simulated panel delivers: per-service quality settings, chosen per panel.

A `QualityPlan` is a named profile (settings for every service) plus per-service overrides. It
decides, when an order is placed, whether the order will end Partial and with what share
delivered, when it starts, how fast it runs, whether a Partial end refunds the undelivered part,
and how much of it drops afterwards; and, when a refill is requested, whether it will succeed.

>>> plan = QualityPlan.of("cheap_underdelivers")
>>> plan.for_service(1).refund_partial
False
>>> QualityPlan.of({7: QualitySettings(partial_rate=0.5)}).for_service(7).partial_rate
0.5

A setting left ``None`` keeps the catalog's own behaviour, so the ``default`` profile (every
setting ``None``) is the simulator as it was before quality settings existed, draw for draw.
An override's ``None`` settings come from the plan's profile. The settings are in
`providers.simulator.quality_settings`, the profiles in `providers.simulator.quality_profiles`;
both are imported from here.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .catalog import SimService
from .quality_profiles import DEFAULT, QUALITY_PROFILES, get_quality
from .quality_settings import QualitySettings, parse_override

__all__ = [
    "DEFAULT",
    "DEFAULT_SPREAD",
    "QUALITY_PROFILES",
    "REFILL_REJECT_CHANCE",
    "OrderTerms",
    "QualityPlan",
    "QualitySettings",
    "get_quality",
    "parse_override",
]

REFILL_REJECT_CHANCE = 0.15
"""Chance that a refill is rejected when no quality setting says otherwise."""
DEFAULT_SPREAD = 0.1
"""Half-width of the spread of a Partial order's delivered share around `delivered_fraction`."""


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What quality decided for one order when it was placed."""

    service: SimService
    """The service with the start delay and speed the order runs at."""
    target: int
    """Units the order will deliver; below its total for a Partial order."""
    refund_partial: bool
    drop_share: float


@dataclass(frozen=True, slots=True)
class QualityPlan:
    """One panel's quality: a named profile for every service, and per-service overrides."""

    profile: str = "default"
    settings: QualitySettings = DEFAULT
    """Changes to the profile, for every service."""
    services: Mapping[int, QualitySettings] = field(default_factory=dict)
    """Overrides by (integer) service id, on top of the profile and `settings`."""
    base: QualitySettings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.settings.over(get_quality(self.profile)))
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))

    @classmethod
    def of(
        cls, value: QualityPlan | QualitySettings | str | Mapping[int, QualitySettings] | None
    ) -> QualityPlan:
        """A plan from a plan, a profile name, a service id -> settings mapping (overrides of
        the default profile), or settings for every service."""
        if value is None:
            return cls()
        if isinstance(value, QualityPlan):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, QualitySettings):
            return cls(settings=value)
        return cls(services=value)

    def for_service(self, service_id: int) -> QualitySettings:
        """The settings service `service_id` delivers with."""
        override = self.services.get(service_id)
        return self.base if override is None else override.over(self.base)

    def order_terms(self, service: SimService, total: int, rng: random.Random) -> OrderTerms:
        """Decide an order of `total` units of `service`, drawing from the order's `rng`."""
        q = self.for_service(service.id)
        partial = service.partial_probability if q.partial_rate is None else q.partial_rate
        target = total
        if total >= 2 and rng.random() < partial:
            if q.delivered_fraction is None:
                share_percent = rng.randint(20, 90)
                target = max(1, min(total - 1, total * share_percent // 100))
            else:
                mean = q.delivered_fraction
                spread = DEFAULT_SPREAD if q.delivered_spread is None else q.delivered_spread
                spread = min(spread, mean, 1 - mean)
                share = mean + spread * (2 * rng.random() - 1)
                target = max(1, min(total - 1, round(total * share)))
        runs_at = service
        if q.start_delay is not None or q.speed is not None:
            runs_at = replace(
                service,
                start_delay=service.start_delay if q.start_delay is None else q.start_delay,
                speed=service.speed if q.speed is None else q.speed / 3600,
            )
        return OrderTerms(
            service=runs_at,
            target=target,
            refund_partial=q.refund_partial is not False,
            drop_share=q.drop_rate or 0.0,
        )

    def refill_rejected(self, service_id: int, rng: random.Random) -> bool:
        """Whether a refill now requested for an order of `service_id` will be rejected."""
        success = self.for_service(service_id).refill_success
        reject = REFILL_REJECT_CHANCE if success is None else 1 - success
        return rng.random() < reject
