"""How a quantity no single member can take (or a request to split) is cut into parts, one per
provider, each routed by the routing ranking (`gateway.routing.quote`, through `Quote_at`).

The usual plan fills the best-ranked member up to its maximum, then the next, and so on; the
last part is kept at or above the smallest minimum of the members still unused (the part before
it gives up what that needs). Asked to split, the quantity is shared evenly over as many
providers as can take a share (the first part takes the remainder), else planned as usual.

Each part's own quote puts its member first; failover from it reaches only members of providers
the plan does not use, so no provider gets two parts of one client order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from gateway.catalog import Offer
from gateway.routing import Candidate, Quote

QuoteAt = Callable[[int], Awaitable[Quote]]
"""The quote of the client order's request at another quantity."""


@dataclass(frozen=True, slots=True)
class Part:
    """One child order of a split: its quantity and its quote, its member first."""

    quantity: int
    decision: Quote

    @property
    def candidate(self) -> Candidate:
        chosen = self.decision.chosen
        assert chosen is not None
        return chosen


def split_most(members: Iterable[Offer]) -> int:
    """The most one order of `members` can be, split a part per provider: each provider's
    largest maximum, summed."""
    largest: dict[str, int] = {}
    for m in members:
        largest[m.provider] = max(largest.get(m.provider, 0), m.service.max)
    return sum(largest.values())


def _best_per_provider(candidates: Sequence[Candidate], used: set[str]) -> list[Candidate]:
    seen = set(used)
    best = []
    for candidate in candidates:
        if candidate.offer.provider not in seen:
            seen.add(candidate.offer.provider)
            best.append(candidate)
    return best


async def _first_at(quote_at: QuoteAt, sizes: Sequence[int], used: set[str]) -> Candidate | None:
    """The best-ranked candidate of an unused provider at the smallest size that has one."""
    for size in sorted(set(sizes)):
        found = _best_per_provider((await quote_at(size)).candidates, used)
        if found:
            return found[0]
    return None


async def _greedy(
    quote_at: QuoteAt, members: Sequence[Offer], total: int
) -> list[tuple[int, Offer]]:
    used: set[str] = set()
    parts: list[tuple[int, Offer]] = []
    remaining = total
    while remaining > 0:
        pool = [m for m in members if m.provider not in used]
        sizes = [min(m.service.max, remaining) for m in pool if m.service.min <= remaining]
        best = await _first_at(quote_at, sizes, used)
        if best is None:
            return []
        offer = best.offer
        used.add(offer.provider)
        amount = min(offer.service.max, remaining)
        others = [m.service.min for m in members if m.provider not in used]
        tail = remaining - amount
        if 0 < tail < min(others, default=tail) and remaining - min(others) >= offer.service.min:
            amount = remaining - min(others)
        parts.append((amount, offer))
        remaining -= amount
    return parts


async def _even(quote_at: QuoteAt, total: int, providers: int) -> list[tuple[int, Offer]]:
    for n in range(providers, 1, -1):
        share = total // n
        if share <= 0:
            continue
        first = share + total % n
        best = _best_per_provider((await quote_at(share)).candidates, set())[:n]
        if len(best) < n:
            continue
        lead = _best_per_provider((await quote_at(first)).candidates, set())
        if not lead:
            continue
        head = lead[0]
        rest = [c for c in best if c.offer.provider != head.offer.provider][: n - 1]
        if len(rest) == n - 1:
            return [(first, head.offer), *((share, c.offer) for c in rest)]
    return []


async def plan_split(
    quote_at: QuoteAt, members: Sequence[Offer], total: int, *, even: bool = False
) -> list[Part]:
    """The parts of `total` units over `members` (see the module docstring); empty when the
    members cannot take it all between them."""
    providers = len({m.provider for m in members})
    cut = await _even(quote_at, total, providers) if even else []
    cut = cut or await _greedy(quote_at, members, total)
    planned = {offer.provider for _, offer in cut}
    parts = []
    for amount, offer in cut:
        decision = await quote_at(amount)
        mine = [c for c in decision.candidates if c.offer.id == offer.id]
        if not mine:
            return []  # the member's eligibility changed between two quotes
        spare = _best_per_provider(decision.candidates, planned)
        parts.append(Part(amount, dataclasses.replace(decision, candidates=(mine[0], *spare))))
    return parts
