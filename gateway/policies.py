"""Routing policies: how the candidates `gateway.routing.quote` found eligible are ranked.

- ``cheapest`` (the default): the lowest quoted cost, as routing always did.
- ``best_value``: the lowest expected cost of getting the whole quantity delivered
  (`Estimate.expected_cost`: the expected charge, re-orders of what partials leave undelivered
  included, plus `time_price_per_hour` times the expected time to complete).
- ``fastest``: the lowest expected time to complete among the candidates whose cost is within
  `fastest_ceiling_percent` above the cheapest's; the dearer ones follow, cheapest first.

Each candidate carries its `Estimate` (`gateway.estimates`: what it is expected to cost and take,
from its quality figures) and why it ranked where it did.

Exploration (`gateway.router`) gives candidates without history a share of orders under
``best_value`` and ``fastest`` (``cheapest`` does not read quality, so it needs none).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from gateway.estimates import Estimate, estimates
from gateway.quality import QualityReport
from gateway.routing import Candidate, Quote
from gateway.store.rows import RoutingPolicy

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
    ceiling = cheapest * (1 + settings.fastest_ceiling_percent / Decimal(100))
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
