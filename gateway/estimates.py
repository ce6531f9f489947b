"""Estimates: what a routing candidate is expected to cost and take, from its quality figures.

The money is the expected cost of getting the whole quantity delivered: what the provider will
charge in the end (the quote times its learned charge fraction: panels that refund the
undelivered part of a partial charge less than they quote), re-ordering what a partial leaves
undelivered on the same terms until it is delivered (so the money is the expected charge over
the delivered fraction), plus `time_price_per_hour` times the expected time to complete.

Figures come from `gateway.quality`: the provider service's own when it has enough orders,
else its provider's, else a neutral assumption: the quote's own terms for money (everything
delivered, the quote charged, every order complete: what ``cheapest`` assumes), and for each
time (to start, to complete 1,000 units) the mean of the candidates' known ones (0 when none
is known), so a candidate without history is neither favoured nor held back on time. The
policies that rank by these are `gateway.policies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway.quality import Figure, Quality, QualityReport
from gateway.routing import Candidate
from providers.models import Money

if TYPE_CHECKING:
    from gateway.policies import PolicySettings

ONE = Decimal(1)
_HOUR = Decimal(3600)
_THOUSAND = Decimal(1000)
_LEAST_DELIVERED = Decimal("0.01")
"""A delivered fraction is never taken below this (re-ordering would never end)."""
_PLACES = Decimal("0.00000001")


FIGURES = (
    "delivered_fraction", "charge_fraction", "completion_rate",
    "start_seconds", "complete_seconds_per_1000",
)  # fmt: skip
"""The quality figures the estimates use."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a candidate is expected to cost and take, and the figures it was estimated from.

    `delivered_fraction`, `charge_fraction`, `completion_rate`, `start_seconds` and
    `complete_seconds_per_1000` are the values used (after any fallback); `assumed` names those
    that fell back to a neutral assumption, `from_provider` those taken from the provider's
    figures because its service had too few orders.
    """

    service: Quality
    provider: Quality
    delivered_fraction: Decimal
    charge_fraction: Decimal
    completion_rate: Decimal
    start_seconds: Decimal
    complete_seconds_per_1000: Decimal
    expected_charge: Money
    """What the provider is expected to charge for this order, in the base currency."""
    expected_money: Money
    """The expected charge with re-orders of the undelivered part: the whole quantity."""
    expected_seconds: Decimal
    """Expected seconds until the whole quantity is delivered, re-orders included."""
    expected_cost: Money
    """`expected_money` plus the price of `expected_seconds`: what ``best_value`` ranks by."""
    cost_per_delivered_unit: Decimal
    """The expected charge per unit expected to be delivered, in the base currency."""
    assumed: tuple[str, ...] = ()
    from_provider: tuple[str, ...] = ()

    @property
    def samples(self) -> dict[str, int]:
        """The number of orders behind each figure used (0 when assumed)."""
        return {name: 0 if name in self.assumed else self._figure(name).sample for name in FIGURES}

    def _figure(self, name: str) -> Figure:
        source = self.provider if name in self.from_provider else self.service
        figure: Figure = getattr(source, name)
        return figure


@dataclass(frozen=True, slots=True)
class _Known:
    value: Decimal | None
    source: str  # "service" | "provider" | "assumed"


def _pick(service: Quality, provider: Quality, name: str) -> _Known:
    for source, quality in (("service", service), ("provider", provider)):
        value = getattr(quality, name).value
        if value is not None:
            return _Known(value, source)
    return _Known(None, "assumed")


@dataclass(frozen=True, slots=True)
class NeutralTimes:
    """The times assumed for a candidate without its own: the mean of the known ones."""

    start_seconds: Decimal = Decimal(0)
    complete_seconds_per_1000: Decimal = Decimal(0)


def _picked(
    candidate: Candidate, report: QualityReport
) -> tuple[Quality, Quality, dict[str, _Known]]:
    provider, service_id = candidate.offer.key
    service = report.service(provider, service_id)
    whole = report.provider(provider)
    return service, whole, {name: _pick(service, whole, name) for name in FIGURES}


def estimate(
    candidate: Candidate,
    report: QualityReport,
    units: int,
    settings: PolicySettings,
    neutral: NeutralTimes | None = None,
) -> Estimate:
    """`candidate`'s expected cost and time for `units` units (see the module docstring)."""
    return _estimate(candidate, _picked(candidate, report), units, settings, neutral)


_Picked = tuple[Quality, Quality, dict[str, "_Known"]]


def _estimate(
    candidate: Candidate,
    figures: _Picked,
    units: int,
    settings: PolicySettings,
    neutral: NeutralTimes | None = None,
) -> Estimate:
    neutral = neutral or NeutralTimes()
    service, whole, picked = figures
    delivered = max(_or_one(picked["delivered_fraction"].value), _LEAST_DELIVERED)
    charged = _or_one(picked["charge_fraction"].value)
    complete = min(_or_one(picked["completion_rate"].value), ONE)
    start = _or(picked["start_seconds"].value, neutral.start_seconds)
    per_k = _or(picked["complete_seconds_per_1000"].value, neutral.complete_seconds_per_1000)
    seconds = _seconds(start, per_k, units, delivered, complete)
    cost = candidate.cost
    charge = cost.amount * charged
    money = charge / delivered
    total = money + settings.time_price_per_hour * seconds / _HOUR
    per_unit = charge / (delivered * units) if units > 0 else charge
    return Estimate(
        service=service,
        provider=whole,
        delivered_fraction=delivered,
        charge_fraction=charged,
        completion_rate=complete,
        start_seconds=start,
        complete_seconds_per_1000=per_k,
        expected_charge=Money(amount=charge.quantize(_PLACES), currency=cost.currency),
        expected_money=Money(amount=money.quantize(_PLACES), currency=cost.currency),
        expected_seconds=seconds.quantize(Decimal(1)),
        expected_cost=Money(amount=total.quantize(_PLACES), currency=cost.currency),
        cost_per_delivered_unit=per_unit.quantize(_PLACES),
        assumed=tuple(n for n, k in picked.items() if k.source == "assumed"),
        from_provider=tuple(n for n, k in picked.items() if k.source == "provider"),
    )


def _or_one(value: Decimal | None) -> Decimal:
    return ONE if value is None else value


def _or(value: Decimal | None, otherwise: Decimal) -> Decimal:
    return otherwise if value is None else value


def _seconds(
    start: Decimal, per_k: Decimal, units: int, delivered: Decimal, complete: Decimal
) -> Decimal:
    """Time to start plus time to deliver, with a re-order of the remainder for the orders that
    end short (1 - `complete` of them, re-ordering 1 - `delivered` of all units in all):
    start * (2 - complete) + per_k * units / 1000 * (2 - delivered)."""
    return start * (2 - complete) + per_k * Decimal(units) / _THOUSAND * (2 - delivered)


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values) if values else Decimal(0)


def neutral_times(candidates: Sequence[Candidate], report: QualityReport) -> NeutralTimes:
    """The mean of the candidates' known times to start and to complete 1,000 units."""
    return _neutral([_picked(c, report) for c in candidates])


def _neutral(figures: Sequence[_Picked]) -> NeutralTimes:
    starts: list[Decimal] = []
    per_k: list[Decimal] = []
    for _, _, picked in figures:
        if (start := picked["start_seconds"].value) is not None:
            starts.append(start)
        if (complete := picked["complete_seconds_per_1000"].value) is not None:
            per_k.append(complete)
    return NeutralTimes(_mean(starts), _mean(per_k))


def estimates(
    candidates: Sequence[Candidate], report: QualityReport, units: int, settings: PolicySettings
) -> list[Estimate]:
    """Every candidate's `Estimate`; an unknown time is the mean of the known ones."""
    figures = [_picked(c, report) for c in candidates]  # each read once, used twice
    neutral = _neutral(figures)
    return [
        _estimate(c, f, units, settings, neutral) for c, f in zip(candidates, figures, strict=True)
    ]
