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
An override's ``None`` settings come from the plan's profile.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from .catalog import SimService

REFILL_REJECT_CHANCE = 0.15
"""Chance that a refill is rejected when no quality setting says otherwise."""
DEFAULT_SPREAD = 0.1
"""Half-width of the spread of a Partial order's delivered share around `delivered_fraction`."""

_TRUE = frozenset({"true", "1", "yes", "refund"})
_FALSE = frozenset({"false", "0", "no", "keep"})


def _share(name: str, value: float | None, *, open_ends: bool = False) -> None:
    if value is None:
        return
    low_ok = value > 0 if open_ends else value >= 0
    high_ok = value < 1 if open_ends else value <= 1
    if not (math.isfinite(value) and low_ok and high_ok):
        bounds = "between 0 and 1 (exclusive)" if open_ends else "between 0 and 1"
        raise ValueError(f"{name} must be {bounds}")


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """How one service delivers; ``None`` inherits (the profile's, or the catalog's value)."""

    delivered_fraction: float | None = None
    """Average share of the quantity a Partial order delivers (0 < f < 1); ``None``: 20-90%."""
    delivered_spread: float | None = None
    """Half-width of the seeded, uniform spread around `delivered_fraction` (default 0.1),
    narrowed so that the share stays between 0 and 1."""
    partial_rate: float | None = None
    """Share of orders that end Partial; ``None``: the service's own chance."""
    start_delay: float | None = None
    """Simulated seconds between placing an order and its first unit."""
    speed: float | None = None
    """Units an hour once started (of each drip-feed run)."""
    refund_partial: bool | None = None
    """Whether an order the panel ends Partial is refunded its undelivered part (default) or
    keeps its full charge. A cancel always refunds what was not delivered."""
    refill_success: float | None = None
    """Chance that a refill completes rather than being rejected (default 0.85)."""
    drop_rate: float | None = None
    """Share of the delivered units that drop within a day after the order ends (default 0);
    a refill that completes restores what dropped by then."""

    def __post_init__(self) -> None:
        _share("delivered_fraction", self.delivered_fraction, open_ends=True)
        _share("delivered_spread", self.delivered_spread)
        _share("partial_rate", self.partial_rate)
        _share("refill_success", self.refill_success)
        _share("drop_rate", self.drop_rate)
        delay, speed = self.start_delay, self.speed
        if delay is not None and not (math.isfinite(delay) and delay >= 0):
            raise ValueError("start_delay must be a number of seconds >= 0")
        if speed is not None and not (math.isfinite(speed) and speed > 0):
            raise ValueError("speed must be a positive number of units an hour")

    def over(self, base: QualitySettings) -> QualitySettings:
        """These settings, with `base`'s wherever these are ``None``."""
        changes: dict[str, Any] = {
            f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None
        }
        return replace(base, **changes)

    def describe(self) -> dict[str, object]:
        """The settings that are set, as JSON-ready values."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QualitySettings:
        """Settings from names and values (JSON or command-line text); `ValueError` if bad."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, raw in data.items():
            if name not in known:
                raise ValueError(f"unknown quality setting {name!r}")
            if raw is None:
                continue
            if name == "refund_partial":
                values[name] = _flag(raw)
            elif isinstance(raw, bool):
                raise ValueError(f"{name} must be a number")
            else:
                try:
                    values[name] = float(raw)
                except (TypeError, ValueError):
                    raise ValueError(f"{name} must be a number") from None
        return cls(**values)


def parse_override(text: str) -> tuple[str, QualitySettings]:
    """``"ID:name=value,name=value"`` (a command-line override) as the id and its settings.

    >>> parse_override("1234:partial_rate=0.5,refund_partial=keep")[1].refund_partial
    False
    """
    service, colon, spec = text.partition(":")
    if not colon or not service.strip():
        raise ValueError(f"expected SERVICE:name=value,... not {text!r}")
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"expected name=value, not {item!r}")
        values[name.strip()] = value.strip()
    return service.strip(), QualitySettings.from_mapping(values)


def _flag(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("refund_partial must be true (refund) or false (keep)")


DEFAULT = QualitySettings()

QUALITY_PROFILES: Mapping[str, QualitySettings] = MappingProxyType(
    {
        "default": DEFAULT,
        # About 99.8% of the units delivered, in minutes; refunds and refills.
        "reliable": QualitySettings(
            delivered_fraction=0.9,
            delivered_spread=0.05,
            partial_rate=0.02,
            start_delay=120.0,
            speed=3000.0,
            refund_partial=True,
            refill_success=0.95,
            drop_rate=0.02,
        ),
        # 60% of the units delivered (4 orders in 5 end Partial at half), the full charge
        # kept, slow to start, hardly ever refilled, and a fifth of it drops.
        "cheap_underdelivers": QualitySettings(
            delivered_fraction=0.5,
            delivered_spread=0.3,
            partial_rate=0.8,
            start_delay=1800.0,
            speed=1000.0,
            refund_partial=False,
            refill_success=0.1,
            drop_rate=0.2,
        ),
        # As badly delivered, but partials are refunded the undelivered part.
        "underdelivers_refunds": QualitySettings(
            delivered_fraction=0.5,
            delivered_spread=0.3,
            partial_rate=0.8,
            start_delay=1800.0,
            speed=1000.0,
            refund_partial=True,
            refill_success=0.5,
            drop_rate=0.1,
        ),
        # Delivers well (99.5% of the units), but starts hours late and runs slowly.
        "slow": QualitySettings(
            delivered_fraction=0.9,
            delivered_spread=0.05,
            partial_rate=0.05,
            start_delay=6 * 3600.0,
            speed=200.0,
            refund_partial=True,
            refill_success=0.85,
            drop_rate=0.02,
        ),
        # Every order completes, within minutes; refills always succeed, nothing drops.
        "perfect": QualitySettings(
            delivered_fraction=0.9,
            delivered_spread=0.05,
            partial_rate=0.0,
            start_delay=60.0,
            speed=3000.0,
            refund_partial=True,
            refill_success=1.0,
            drop_rate=0.0,
        ),
    }
)
"""Named quality profiles. Every one but ``default`` sets every setting, so panels of different
seeds (catalogs) under one profile deliver alike."""


def get_quality(name: str) -> QualitySettings:
    """The quality profile called `name`; `ValueError` naming the known ones otherwise."""
    try:
        return QUALITY_PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(QUALITY_PROFILES))
        raise ValueError(f"unknown quality profile {name!r} (known: {known})") from None


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
