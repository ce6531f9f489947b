"""Routing policies: how the candidates `gateway.routing.quote` found eligible are ranked.

- ``cheapest`` (the default): the lowest quoted cost, as routing always did.
- ``best_value``: the lowest expected cost of getting the whole quantity delivered: what the
  provider will charge in the end (the quote times its learned charge fraction: panels that
  refund the undelivered part of a partial charge less than they quote), re-ordering what a
  partial leaves undelivered on the same terms until it is delivered (so the money is the
  expected charge over the delivered fraction), plus `time_price_per_hour` times the expected
  time to complete.
- ``fastest``: the lowest expected time to complete among the candidates whose cost is within
  `fastest_ceiling_percent` above the cheapest's; the dearer ones follow, cheapest first.

Figures come from `gateway.quality`: the provider service's own when it has enough orders,
else its provider's, else a neutral assumption: the quote's own terms for money (everything
delivered, the quote charged, every order complete: what ``cheapest`` assumes), and for each
time (to start, to complete 1,000 units) the mean of the candidates' known ones (0 when none
is known), so a candidate without history is neither favoured nor held back on time. Each
candidate carries its `Estimate` and why it ranked where it did.

Exploration (`gateway.router`) gives candidates without history a share of orders under
``best_value`` and ``fastest`` (``cheapest`` does not read quality, so it needs none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gateway.quality import Figure, Quality, QualityReport
from gateway.routing import Candidate, Quote
from gateway.store.rows import RoutingPolicy
from providers.models import Money

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


READS_QUALITY = frozenset({RoutingPolicy.BEST_VALUE, RoutingPolicy.FASTEST})
"""The policies whose order depends on quality figures (``cheapest`` reads only costs)."""


def parse_policy(name: str | RoutingPolicy) -> RoutingPolicy:
    """The policy named `name`; ``ValueError`` naming the known ones otherwise."""
    try:
        return RoutingPolicy(str(name).strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in RoutingPolicy)
        raise ValueError(f"unknown routing policy {name!r} (known: {known})") from None


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """The policies' knobs (``[routing]`` in the configuration)."""

    time_price_per_hour: Decimal = Decimal(0)
    """Base currency ``best_value`` adds per hour of an order's expected time to complete."""
    fastest_ceiling_percent: Decimal = Decimal(20)
    """``fastest`` considers candidates costing at most this percent above the cheapest."""


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


def _tie(c: Candidate) -> tuple[Decimal, int, str, int]:
    """The order of ``cheapest``, which settles every other policy's ties."""
    return (c.cost.amount, c.priority, c.offer.provider, c.offer.id)


def rank(
    quote: Quote,
    policy: RoutingPolicy,
    report: QualityReport,
    settings: PolicySettings,
    *,
    estimated: bool = True,
) -> Quote:
    """`quote` with its candidates estimated and ordered by `policy`, each saying why.

    Without `estimated`, a policy that does not read quality (``cheapest``) leaves the
    estimates out: an order being placed needs the order, not the figures a quote shows."""
    if not quote.candidates:
        return dataclasses.replace(quote, policy=policy.value)
    if estimated or policy in READS_QUALITY:
        units = quote.request.units * (quote.request.runs or 1)
        figures = estimates(quote.candidates, report, units, settings)
        rated = [
            dataclasses.replace(c, estimate=e)
            for c, e in zip(quote.candidates, figures, strict=True)
        ]
    else:
        rated = list(quote.candidates)
    if policy is RoutingPolicy.BEST_VALUE:
        ordered = _best_value(rated)
    elif policy is RoutingPolicy.FASTEST:
        ordered = _fastest(rated, settings)
    else:
        ordered = _cheapest(rated)
    return dataclasses.replace(quote, candidates=tuple(ordered), policy=policy.value)


def _est(c: Candidate) -> Estimate:
    assert c.estimate is not None
    return c.estimate


def _cheapest(rated: list[Candidate]) -> list[Candidate]:
    ordered = sorted(rated, key=_tie)
    best = ordered[0].cost.amount
    return [
        dataclasses.replace(
            c,
            reason="lowest quoted cost"
            if i == 0
            else f"quoted cost {c.cost.amount:f}, {c.cost.amount - best:f} above the lowest",
        )
        for i, c in enumerate(ordered)
    ]


def _best_value(rated: list[Candidate]) -> list[Candidate]:
    ordered = sorted(rated, key=lambda c: (_est(c).expected_cost.amount, *_tie(c)))
    best = _est(ordered[0]).expected_cost.amount
    out = []
    for i, c in enumerate(ordered):
        e = _est(c)
        why = (
            f"expected cost of the whole quantity {e.expected_cost.amount:f}"
            f" (charge {e.expected_charge.amount:f}, delivered {e.delivered_fraction:.3f},"
            f" {e.expected_seconds:f} s)"
        )
        if i > 0:
            why += f", {e.expected_cost.amount - best:f} above the best"
        out.append(dataclasses.replace(c, reason=("lowest " if i == 0 else "") + why))
    return out


def _fastest(rated: list[Candidate], settings: PolicySettings) -> list[Candidate]:
    cheapest = min(c.cost.amount for c in rated)
    ceiling = cheapest * (ONE + settings.fastest_ceiling_percent / Decimal(100))
    within = sorted(
        (c for c in rated if c.cost.amount <= ceiling),
        key=lambda c: (_est(c).expected_seconds, *_tie(c)),
    )
    above = sorted((c for c in rated if c.cost.amount > ceiling), key=_tie)
    out = []
    for i, c in enumerate(within):
        seconds = _est(c).expected_seconds
        lead = "lowest expected time" if i == 0 else "expected time"
        why = f"{lead} {seconds:f} s within the price ceiling {ceiling:.8f}"
        out.append(dataclasses.replace(c, reason=why))
    for c in above:
        why = f"quoted cost {c.cost.amount:f} above the price ceiling {ceiling:.8f}"
        out.append(dataclasses.replace(c, reason=why))
    return out
