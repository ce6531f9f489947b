"""The named quality profiles a simulated panel delivers by: data, one `QualitySettings` each."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .quality_settings import QualitySettings

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
