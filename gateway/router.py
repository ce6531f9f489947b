"""Which routing policy ranks an order, and exploration of candidates without history.

The policy comes from the first source that names one: the request (a GraphQL argument), the
API key, the client account, the unified service group (``[routing] groups`` by group name, or
``routing_policy`` on an explicit ``[[catalog.groups]]``), then ``[routing] policy`` (default
``cheapest``). The quote says which source decided (`Quote.policy_source`).

Exploration: under ``best_value`` and ``fastest``, when some candidate's provider service has
fewer finished orders than a score needs (the quality book's `min_sample`), a share
(`exploration_share`) of such orders goes to one of them, drawn from a seedable random source
so tests are deterministic. The chosen candidate says so (`Candidate.explored`, its reason).
A quote draws as a placement does, so a quote may show an exploration its placement does not.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from gateway.catalog import Group
from gateway.policies import READS_QUALITY, PolicySettings, parse_policy, rank
from gateway.quality import QualityReport
from gateway.routing import Candidate, Quote
from gateway.store.rows import RoutingPolicy


@dataclass(frozen=True, slots=True)
class Choice:
    """The policy for one order and the source that named it."""

    policy: RoutingPolicy
    source: str


class Router:
    """Chooses each order's policy and ranks its quote with it (see the module docstring).

    `groups`: policies by unified group name; `exploration_share`: the share (0 to 1) of
    eligible orders sent to a candidate without enough history; `seed` fixes its draws.
    """

    def __init__(
        self,
        settings: PolicySettings | None = None,
        *,
        default: RoutingPolicy | str = RoutingPolicy.CHEAPEST,
        groups: Mapping[str, RoutingPolicy | str] | None = None,
        exploration_share: Decimal = Decimal(0),
        seed: int | None = None,
    ) -> None:
        if not Decimal(0) <= exploration_share <= Decimal(1):
            raise ValueError(f"exploration_share must be within 0 and 1, got {exploration_share}")
        self.settings = settings or PolicySettings()
        self.default = parse_policy(default)
        self.groups = {name: parse_policy(p) for name, p in (groups or {}).items()}
        self.exploration_share = exploration_share
        self._random = random.Random(seed)

    def choose(
        self,
        group: Group | None = None,
        *,
        request: str | None = None,
        key: str | None = None,
        account: str | None = None,
    ) -> Choice:
        """The policy by precedence: request > key > account > group > configuration.

        ``ValueError`` for an unknown policy name in the request (stored ones were checked
        when they were set)."""
        for source, name in (("request", request), ("key", key), ("account", account)):
            if name is not None:
                return Choice(parse_policy(name), source)
        if group is not None and group.name in self.groups:
            return Choice(self.groups[group.name], "group")
        return Choice(self.default, "config")

    def ranker(
        self, choice: Choice, report: QualityReport, *, estimated: bool = True
    ) -> Callable[[Quote], Quote]:
        """What `gateway.routing.quote` calls to rank candidates under `choice` (`estimated`:
        see `gateway.policies.rank`)."""

        def ranked(quote: Quote) -> Quote:
            ordered = rank(quote, choice.policy, report, self.settings, estimated=estimated)
            ordered = dataclasses.replace(ordered, policy_source=choice.source)
            # The policies that read quality: a candidate must earn a score under them.
            if choice.policy in READS_QUALITY:
                return self._explore(ordered, report)
            return ordered

        return ranked

    def _explore(self, quote: Quote, report: QualityReport) -> Quote:
        if self.exploration_share <= 0 or len(quote.candidates) < 2:
            return quote
        first, *rest = quote.candidates
        least = report.min_sample
        if _history(first, report) < least:
            return quote  # the policy's own choice has no score yet: nothing to explore for
        unproven = [c for c in rest if _history(c, report) < least]
        if not unproven or self._random.random() >= float(self.exploration_share):
            return quote
        pick = self._random.choice(unproven)
        why = (
            f"chosen to explore: {_history(pick, report)} of the {least} finished orders a"
            f" score needs (exploration share {self.exploration_share:f}); by the policy: "
            + pick.reason
        )
        explored = dataclasses.replace(pick, explored=True, reason=why)
        others = tuple(c for c in quote.candidates if c is not pick)
        return dataclasses.replace(quote, candidates=(explored, *others))


def _history(candidate: Candidate, report: QualityReport) -> int:
    """Finished orders of the candidate's provider service in the window."""
    return report.service(*candidate.offer.key).orders
