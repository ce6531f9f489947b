"""What a client account pays: its price list applied to the routed provider cost, and the margin
guard that keeps the price above that cost.

A price list has a default markup over cost, overrides (a markup or a fixed rate per 1000) for a
platform, a metric, both, or one unified service, and a minimum margin. The most specific
override wins: a service's, then a platform and metric pair's, then a metric's, then a
platform's. Pure: no I/O, every amount a `Decimal`::

    prices = PriceList(markup_percent=Decimal(20), min_margin_percent=Decimal(5),
                       overrides=(Override(metric="followers", rate=Decimal("2.50")),))
    decision, price = price_order(prices, "skip", quote)   # MarginBreached if it would lose
    price.amount                                          # what the order holds

Rates and amounts are rounded up to 4 decimal places, so rounding never takes the client price
below the margin floor, ``cost x (1 + min_margin / 100)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.accounts.errors import MarginBreached
from gateway.catalog import Group, listed_rate
from gateway.classify import Metric, Platform
from gateway.routing import Candidate, Excluded, Exclusion, Quote
from providers.models import PACKAGE_TYPES, PER, OrderRequest

Policy = Literal["skip", "reprice"]
POLICIES: tuple[Policy, ...] = ("skip", "reprice")
"""What an account does when its price would break its minimum margin: leave the service
unavailable (``skip``) or raise the price to the floor (``reprice``)."""

_PLACES = Decimal("0.0001")
_HUNDRED = Decimal(100)
# Bounds that keep every price storable (NUMERIC(24, 10)) and catch a mistyped list early.
_MAX_PERCENT = Decimal(1_000_000)
_MAX_RATE = Decimal(1_000_000_000)


def round_up(amount: Decimal) -> Decimal:
    """`amount` rounded up to 4 decimal places: a price is never rounded in the client's favour
    below its floor."""
    return amount.quantize(_PLACES, rounding=ROUND_CEILING)


def _markup(value: Decimal | None) -> Decimal | None:
    if value is not None and not -_HUNDRED < value <= _MAX_PERCENT:
        raise ValueError(f"markup_percent must be above -100 and at most {_MAX_PERCENT}")
    return value


class Override(BaseModel):
    """A markup or a fixed rate (per 1000, base currency) for a platform, a metric, both, or
    one unified service: exactly one of `markup_percent` and `rate`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str | None = None
    """A `Platform` value, e.g. ``instagram``."""
    metric: str | None = None
    """A `Metric` value, e.g. ``followers``."""
    service_id: int | None = Field(default=None, gt=0)
    """A unified service (group) id."""
    markup_percent: Decimal | None = None
    rate: Decimal | None = None

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str | None) -> str | None:
        if value is not None and value not in Platform._value2member_map_:
            raise ValueError(f"unknown platform {value[:40]!r}")
        return value

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        if value is not None and value not in Metric._value2member_map_:
            raise ValueError(f"unknown metric {value[:40]!r}")
        return value

    @field_validator("markup_percent")
    @classmethod
    def _markup(cls, value: Decimal | None) -> Decimal | None:
        return _markup(value)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not 0 <= value <= _MAX_RATE:
            raise ValueError(f"rate must be between 0 and {_MAX_RATE}")
        return value

    @model_validator(mode="after")
    def _one_of_each(self) -> Self:
        if (self.markup_percent is None) == (self.rate is None):
            raise ValueError("an override has exactly one of markup_percent and rate")
        if self.service_id is not None and (self.platform or self.metric):
            raise ValueError("a service override names no platform or metric")
        if self.service_id is None and self.platform is None and self.metric is None:
            raise ValueError("an override names a platform, a metric or a service_id")
        return self

    @property
    def selector(self) -> tuple[int | None, str | None, str | None]:
        return (self.service_id, self.platform, self.metric)

    @property
    def specificity(self) -> int:
        """Higher wins: service, then platform and metric, then metric, then platform."""
        if self.service_id is not None:
            return 3
        if self.platform is not None and self.metric is not None:
            return 2
        return 1 if self.metric is not None else 0

    def applies_to(self, group: Group) -> bool:
        if self.service_id is not None:
            return self.service_id == group.id
        what = group.classification
        if what is None:
            return False  # a configured group without a classification: by service id only
        platform_ok = self.platform is None or self.platform == what.platform.value
        return platform_ok and (self.metric is None or self.metric == what.metric.value)


class PriceList(BaseModel):
    """An account's prices; stored as JSON (``model_dump(mode="json")``) in the account row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    markup_percent: Decimal = Decimal(0)
    min_margin_percent: Decimal = Decimal(0)
    """The client price is never below ``cost x (1 + min_margin_percent / 100)``."""
    overrides: tuple[Override, ...] = ()

    @field_validator("markup_percent")
    @classmethod
    def _markup(cls, value: Decimal) -> Decimal:
        _markup(value)
        return value

    @field_validator("min_margin_percent")
    @classmethod
    def _min_margin(cls, value: Decimal) -> Decimal:
        if not 0 <= value <= _MAX_PERCENT:
            raise ValueError(f"min_margin_percent must be between 0 and {_MAX_PERCENT}")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        selectors = [o.selector for o in self.overrides]
        if len(set(selectors)) != len(selectors):
            raise ValueError("two overrides name the same platform, metric or service")
        return self

    def override_for(self, group: Group) -> Override | None:
        """The most specific override that applies to `group`, if any."""
        matching = [o for o in self.overrides if o.applies_to(group)]
        return max(matching, key=lambda o: o.specificity, default=None)

    def floor(self, cost: Decimal) -> Decimal:
        """The least the client may pay for what costs `cost` (unrounded)."""
        return cost * (1 + self.min_margin_percent / _HUNDRED)


@dataclass(frozen=True, slots=True)
class ClientPrice:
    """What an order costs the client: `rate` per 1000 and `amount` for the whole order (the
    hold), in `currency`; `repriced` when the list's rate broke the minimum margin and the
    floor was charged instead."""

    rate: Decimal
    amount: Decimal
    currency: str
    repriced: bool = False


def client_rate(price_list: PriceList, group: Group, cost_rate: Decimal) -> Decimal:
    """The list's rate per 1000 for `group` when the routed cost is `cost_rate` per 1000,
    before the margin guard."""
    override = price_list.override_for(group)
    if override is not None and override.rate is not None:
        return round_up(override.rate)
    markup = price_list.markup_percent
    if override is not None and override.markup_percent is not None:
        markup = override.markup_percent
    return round_up(cost_rate * (1 + markup / _HUNDRED))


def units_factor(request: OrderRequest, package: bool) -> Decimal:
    """What a rate per 1000 is multiplied by for `request`: one for a package (its rate is the
    price), else units / 1000 times the runs of a drip-feed."""
    if package:
        return Decimal(1)
    factor = Decimal(request.units) / PER
    return factor * request.runs if request.runs is not None else factor


def price_order(price_list: PriceList, policy: str, decision: Quote) -> tuple[Quote, ClientPrice]:
    """The client price of `decision` (from its cheapest candidate, whichever the policy ranked
    first: the rate `listing_rate` shows) and the decision without the candidates that price
    would lose money on, the chosen one included (moved to `excluded` with
    `Exclusion.MARGIN_BREACHED`, so neither placement nor failover reaches them).

    When the cheapest breaks the margin itself, ``reprice`` charges the floor and ``skip``
    raises `MarginBreached` (its quote has every candidate excluded).
    """
    if not decision.candidates:
        raise ValueError("a quote without candidates has no price")
    _check(policy)
    # Ties keep the policy's order. Under best_value, fastest or exploration the chosen one
    # may cost more: pricing from it would charge more than the listed rate.
    cheapest = min(decision.candidates, key=lambda c: c.cost.amount)
    factor = units_factor(decision.request, cheapest.offer.service.type in PACKAGE_TYPES)
    cost_rate = cheapest.offer.rate
    rate = client_rate(price_list, decision.group, cost_rate)
    repriced = rate < price_list.floor(cost_rate)
    if repriced and policy == "skip":
        listed = round_up(rate * factor)
        left = _without(decision, decision.candidates, listed, price_list)
        raise MarginBreached(left, cost_rate=cost_rate, price_rate=rate)
    if repriced:
        rate = round_up(price_list.floor(cost_rate))
    # The cheapest's rate keeps the margin, so its amount does; the max only guards the last
    # digit of the two products (cost and rate times the units) against each other.
    amount = max(round_up(rate * factor), round_up(price_list.floor(cheapest.cost.amount)))
    breaking = tuple(c for c in decision.candidates if amount < price_list.floor(c.cost.amount))
    priced = _without(decision, breaking, amount, price_list) if breaking else decision
    return priced, ClientPrice(rate, amount, cheapest.cost.currency, repriced)


def _check(policy: str) -> None:
    if policy not in POLICIES:
        raise ValueError(f"unknown margin policy {policy!r} (known: {', '.join(POLICIES)})")


def _without(
    decision: Quote, breaking: tuple[Candidate, ...], amount: Decimal, price_list: PriceList
) -> Quote:
    """`decision` with `breaking` moved to `excluded`: `amount` would not keep their margin."""
    left_out = tuple(
        Excluded(
            c.offer,
            Exclusion.MARGIN_BREACHED,
            f"cost {c.cost.amount:f} needs at least {round_up(price_list.floor(c.cost.amount)):f}"
            f", price {amount:f}",
        )
        for c in breaking
    )
    gone = {id(c) for c in breaking}
    kept = tuple(c for c in decision.candidates if id(c) not in gone)
    return dataclasses.replace(decision, candidates=kept, excluded=decision.excluded + left_out)


def listing_rate(price_list: PriceList, policy: str, group: Group) -> Decimal | None:
    """The rate per 1000 `services` shows the client: its price over the members' listed rate
    (`gateway.catalog.listed_rate`, the most an order in the listed range costs), so that no
    order is charged above it; ``None`` when even the cheapest member breaks the margin under
    ``skip`` (the service is unavailable to the client).

    Under ``skip``, orders only a member whose price breaks the margin can take are refused;
    under ``reprice`` they are charged the floor, which the listed rate then covers.
    """
    _check(policy)
    if not group.members:
        return None
    cheapest = group.members[0].rate
    if policy == "skip" and client_rate(price_list, group, cheapest) < price_list.floor(cheapest):
        return None
    cost_rate = listed_rate(group.members)
    rate = client_rate(price_list, group, cost_rate)
    if policy == "reprice":
        return max(rate, round_up(price_list.floor(cost_rate)))
    return rate
