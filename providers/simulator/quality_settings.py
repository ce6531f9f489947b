"""How one service of a simulated panel delivers: `QualitySettings`, each ``None`` to inherit,
read from code, JSON or a command-line override (`parse_override`).

>>> QualitySettings(partial_rate=0.5).over(QualitySettings(speed=50.0)).speed
50.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

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
