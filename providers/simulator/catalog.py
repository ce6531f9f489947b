"""A deterministic, realistic service catalog.

Every catalog is drawn from one fixed template list (platform x metric x variant, plus one or more
services of every non-default type), so panels built with different seeds offer the same kinds of
services under near-identical names at different prices, which is what a cross-panel catalog has
to group. The seed decides which templates are present, the rates, the ids and small decorations.

>>> services = generate_services(seed=7, size=300)
>>> len(services), type(services[0].rate).__name__
(300, 'Decimal')
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from providers.models import ServiceType

from .templates import (
    CATEGORY_RANK,
    DECORATIONS,
    HUGE_MAX,
    PLATFORM_RANK,
    REGULAR_TEMPLATES,
    SPECIAL_TEMPLATES,
    Template,
)

__all__ = ["DEFAULT_SIZE", "HUGE_MAX", "SimService", "generate_services"]

DEFAULT_SIZE = 300


@dataclass(frozen=True, slots=True)
class SimService:
    """One service of a simulated panel: what the panel lists, and how its orders behave."""

    id: int
    name: str
    type: ServiceType
    category: str
    rate: Decimal
    """Price per 1000 units (the flat price for package types), in the panel currency."""
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    start_delay: float = 60.0
    """Seconds between placing an order and the first unit delivered."""
    speed: float = 5.0
    """Units delivered per second once started."""
    partial_probability: float = 0.0
    """Chance that an order of this service stops early and ends Partial."""

    def __post_init__(self) -> None:
        if self.speed <= 0 or self.start_delay < 0:
            raise ValueError("a service needs a positive speed and a start delay >= 0")
        if not 0 < self.min <= self.max:
            raise ValueError("a service needs 0 < min <= max")

    @property
    def description(self) -> str:
        """The free text panels show beside a service."""
        per_day = int(self.speed * 86400)
        refill = "Yes" if self.refill else "No"
        return f"Start: {int(self.start_delay // 60)} min | Speed: {per_day}/day | Refill: {refill}"

    @property
    def average_time(self) -> str:
        """How long a 1000-unit order takes, in the words panels use."""
        minutes = int((self.start_delay + 1000 / self.speed) // 60)
        return f"{minutes // 60} hours {minutes % 60} minutes"


def _perturb_rate(rng: random.Random, base: Decimal) -> Decimal:
    factor = Decimal(rng.randint(70, 150)) / 100
    places = rng.randint(2, 5)
    while True:
        rate = (base * factor).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if rate > 0:
            return rate
        places += 1


def generate_services(
    seed: int = 0, size: int = DEFAULT_SIZE, currency: str = "USD"
) -> list[SimService]:
    """A catalog of `size` services, the same for the same seed and size.

    Every service type is present when `size` is at least 50. `currency` only scales the rates
    (a panel in INR or RUB does not price in dollars).
    """
    if size < 0:
        raise ValueError("size must not be negative")
    rng = random.Random(f"catalog:{seed}")
    scale = Decimal(_CURRENCY_SCALE.get(currency.upper(), 1))
    specials = SPECIAL_TEMPLATES if size >= 50 else SPECIAL_TEMPLATES[: size // 3]
    picked: list[tuple[int, int, Template]] = [(0, i, t) for i, t in enumerate(specials)]
    need = size - len(picked)
    pool = len(REGULAR_TEMPLATES)
    # Keep about a fifth of the templates out of any one catalog, but spread the rest over the
    # whole template list so a small catalog still shows every variant.
    chance = min(0.85, max(0.5, need * 1.05 / pool))
    turn = 0
    while need > 0:
        for index, template in enumerate(REGULAR_TEMPLATES):
            if rng.random() < chance:
                picked.append((turn, pool + index, template))
                need -= 1
                if need == 0:
                    break
        turn += 1
    picked.sort(
        key=lambda p: (PLATFORM_RANK[p[2].platform], CATEGORY_RANK[p[2].category], p[0], p[1])
    )

    services = []
    next_id = 1 + rng.randrange(0, 4000)
    for turn, _, template in picked:
        name = template.name
        if turn:
            # Large panels list the same service again from other suppliers.
            name = f"{name} [Server {turn + 1}]"
        if rng.random() < 0.12:
            name += rng.choice(DECORATIONS)
        services.append(
            SimService(
                id=next_id,
                name=name,
                type=template.type,
                category=template.category,
                rate=_perturb_rate(rng, template.rate * scale),
                min=template.min,
                max=template.max,
                refill=template.refill,
                cancel=template.cancel,
                dripfeed=template.dripfeed,
                start_delay=float(rng.randint(0, 600)),
                speed=template.speed * rng.randint(50, 200) / 100,
                partial_probability=template.partial,
            )
        )
        next_id += 1 if rng.random() < 0.9 else rng.randint(2, 6)
    return services


_CURRENCY_SCALE: dict[str, int | str] = {
    "USD": 1,
    "EUR": "0.92",
    "GBP": "0.79",
    "INR": 83,
    "RUB": 92,
    "TRY": 32,
}
