"""What placement would make of a quoted order: the parts of a split, priced as placement prices
them, the runs of a drip-feed the gateway runs itself, or placement's refusal.

A split's parts are planned by `gateway.orders.split_plan`; for a client account each part is
priced with the account's list (members it would lose money on left out) and the client order's
price is the parts' prices summed. Placement (`gateway.orders.split`) and quotes
(`gateway.orders.placement.Placement.placing`) share this, so a quote prices a split exactly as
placing it would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from gateway.accounts.pricing import ClientPrice, round_up
from gateway.orders.accounting import Accounting
from gateway.orders.errors import NoEligibleProvider
from gateway.orders.split_plan import Part, QuoteAt, plan_split, split_most
from gateway.orders.validation import no_candidate_message
from gateway.routing import Quote
from gateway.store.rows import AccountRow
from providers.models import Money


@dataclass(frozen=True, slots=True)
class SplitParts:
    """A split's parts, each with its client price for an account (`prices`, else empty), and
    the client order's price (`price`: the parts' summed; None without an account)."""

    parts: tuple[Part, ...]
    prices: tuple[ClientPrice, ...] = ()
    price: ClientPrice | None = None

    @property
    def cost(self) -> Money:
        """What the parts cost at their providers, in the base currency."""
        costs = [p.candidate.cost for p in self.parts]
        return Money(amount=sum((c.amount for c in costs), Decimal(0)), currency=costs[0].currency)


@dataclass(frozen=True, slots=True)
class DripRuns:
    """A drip-feed the gateway would run itself (`gateway.orders.drip`): one run's quote, the
    runs, and for an account the price held for them all (`price`: runs times one run's)."""

    per_run: Quote
    runs: int
    price: ClientPrice | None = None

    @property
    def cost(self) -> Money:
        """What every run costs at the member one run is routed to now, in the base currency."""
        assert self.per_run.chosen is not None
        one = self.per_run.chosen.cost
        return Money(amount=one.amount * self.runs, currency=one.currency)


@dataclass(frozen=True, slots=True)
class Placing:
    """How placement would take a quoted order: in `split` parts, as `drip` runs, whole (none
    set), or not at all (`refusal`, in the words placement refuses it with)."""

    split: SplitParts | None = None
    drip: DripRuns | None = None
    refusal: str | None = None


def sum_prices(prices: Sequence[ClientPrice], units: int) -> ClientPrice:
    """One client price for parts priced apart: their amounts summed, at their mean rate."""
    amount = sum((p.amount for p in prices), Decimal(0))
    rate = round_up(amount * 1000 / units) if units else Decimal(0)
    return ClientPrice(rate, amount, prices[0].currency, any(p.repriced for p in prices))


async def split_parts(
    orders: Accounting,
    quote_at: QuoteAt,
    decision: Quote,
    account: AccountRow | None,
    *,
    even: bool,
    placing: bool,
) -> SplitParts:
    """The parts of `decision`'s quantity, priced for `account` if any (when `placing`, a
    margin breach is recorded as placement records it).

    Raises `NoEligibleProvider` when the members cannot take it all between them, and
    `MarginBreached` when the account's minimum margin rules a part out."""
    total = decision.request.units
    parts = await plan_split(quote_at, decision.group.members, total, even=even)
    if not parts:
        most = split_most(decision.group.members)
        raise NoEligibleProvider(no_candidate_message(decision, most), decision)
    if account is None:
        return SplitParts(tuple(parts))
    priced: list[Part] = []
    prices: list[ClientPrice] = []
    for part in parts:
        kept, part_price = await orders._priced(account, part.decision, placing=placing)
        priced.append(replace(part, decision=kept))
        prices.append(part_price)
    return SplitParts(tuple(priced), tuple(prices), sum_prices(prices, total))


async def drip_placing(
    orders: Accounting,
    quote_run: Callable[[], Awaitable[Quote]],
    decision: Quote,
    account: AccountRow | None,
) -> Placing:
    """A drip-feed the gateway would run itself, as placing it quotes and prices it: one run
    (`quote_run`; refused as placement refuses it when no member takes one), times the runs."""
    runs = decision.request.runs
    assert runs is not None
    per_run = await quote_run()
    if per_run.chosen is None:
        return Placing(refusal=no_candidate_message(per_run))
    if account is None:
        return Placing(drip=DripRuns(per_run, runs))
    per_run, run_price = await orders._priced(account, per_run, placing=False)
    price = replace(run_price, amount=run_price.amount * runs)
    return Placing(drip=DripRuns(per_run, runs, price))
