"""Quote types: where an order would go, each candidate's quality and expectations, and why.

Under a routing policy (`gateway.policies`) each candidate carries an estimate: the figures it
was judged on, its expected charge per delivered unit, the expected cost of getting the whole
quantity delivered, the expected time, and why it ranked where it did (or that it was chosen to
explore).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry

from gateway.accounts.pricing import ClientPrice
from gateway.estimates import Estimate
from gateway.graphql.catalog_types import Money, OfferNode, ServiceNode
from gateway.graphql.fields import field
from gateway.graphql.permissions import OPERATOR
from gateway.graphql.quality_types import QualityNode, quality_of
from gateway.graphql.scalars import BigInt
from gateway.orders.split_plan import Part
from gateway.orders.split_quote import Placing
from gateway.policies import parse_policy
from gateway.routing import Candidate, Excluded, Exclusion, Quote
from gateway.store.rows import RoutingPolicy

if TYPE_CHECKING:  # the context module imports these types
    from gateway.graphql.context import Context


@strawberry.type(description="A provider able to take the order, and what it would cost.")
class QuoteCandidate:
    rank: int = strawberry.field(description="1 for the provider that would be chosen.")
    provider: str = strawberry.field(description="The provider's name.")
    offer: OfferNode = strawberry.field(description="The provider's service.")
    cost: Money = strawberry.field(description="The cost in the base currency.")
    provider_cost: Money = strawberry.field(description="The cost in the provider's currency.")
    expected_cost_per_delivered_unit: Money | None = strawberry.field(
        description=(
            "What the provider is expected to charge per unit it is expected to deliver, in "
            "the base currency (its charges and deliveries so far; quoted terms without them)."
        )
    )
    expected_cost: Money | None = strawberry.field(
        description=(
            "The expected cost of getting the whole quantity delivered: the expected charge, "
            "re-orders of what partials leave undelivered, and the configured price of time."
        )
    )
    expected_seconds: Decimal | None = strawberry.field(
        description="Expected seconds until the whole quantity is delivered, re-orders included."
    )
    assumed: list[str] = strawberry.field(
        description=(
            "The figures taken as neutral for lack of orders (delivered_fraction, "
            "charge_fraction, completion_rate, start_seconds, complete_seconds_per_1000)."
        )
    )
    reason: str | None = strawberry.field(
        description="Why it ranked where it did, under the quote's policy."
    )
    explored: bool = strawberry.field(
        description=(
            "Moved first to explore: its service has too few finished orders for a score, "
            "and it drew a share of orders to earn one."
        )
    )

    @field(
        "How this provider delivered this service lately (ops or admin keys).",
        permission_classes=OPERATOR,
    )
    async def quality(self, info: strawberry.Info) -> QualityNode | None:
        context: Context = info.context
        return await quality_of(context, self.provider, self.offer.provider_service_id)

    @classmethod
    def of(cls, rank: int, c: Candidate) -> QuoteCandidate:
        e: Estimate | None = c.estimate
        currency = c.cost.currency
        return cls(
            rank=rank, provider=c.offer.provider, offer=OfferNode.of(c.offer),
            cost=Money.of(c.cost), provider_cost=Money.of(c.provider_cost),
            expected_cost_per_delivered_unit=(
                None if e is None
                else Money(amount=e.cost_per_delivered_unit, currency=currency)
            ),
            expected_cost=None if e is None else Money.of(e.expected_cost),
            expected_seconds=None if e is None else e.expected_seconds,
            assumed=[] if e is None else list(e.assumed),
            reason=c.reason or None, explored=c.explored,
        )  # fmt: skip


@strawberry.type(description="A provider left out of a quote, and why.")
class QuoteExclusion:
    provider: str | None = strawberry.field(
        description="The provider's name (ops or admin keys).", permission_classes=OPERATOR
    )
    offer: OfferNode | None = strawberry.field(
        description="The provider's service (ops or admin keys).", permission_classes=OPERATOR
    )
    reason: Exclusion = strawberry.field(description="Why it cannot take the order.")
    message: str = strawberry.field(description="The reason in words.")
    detail: str | None = strawberry.field(
        description="The numbers behind it, if any (ops or admin keys).",
        permission_classes=OPERATOR,
    )

    @classmethod
    def of(cls, e: Excluded) -> QuoteExclusion:
        return cls(
            provider=e.offer.provider, offer=OfferNode.of(e.offer), reason=e.reason,
            message=e.reason.value, detail=e.detail or None,
        )  # fmt: skip


@strawberry.type(description="One part of an order placement would split across providers.")
class QuotePart:
    quantity: BigInt = strawberry.field(description="The units this part orders.")
    cost: Money = strawberry.field(
        description=(
            "What this part costs: the provider's cost in the base currency, or for a client "
            "account's key its price."
        )
    )
    chosen: QuoteCandidate | None = strawberry.field(
        description="The provider that would take this part (ops or admin keys).",
        permission_classes=OPERATOR,
    )

    @classmethod
    def of(cls, part: Part, price: ClientPrice | None = None) -> QuotePart:
        """The part; with its client `price` (a client account's), that is what it costs."""
        candidate = QuoteCandidate.of(1, part.candidate)
        cost = candidate.cost if price is None else Money(amount=price.amount,
                                                          currency=price.currency)  # fmt: skip
        return cls(quantity=BigInt(part.quantity), cost=cost, chosen=candidate)


@strawberry.type(name="Quote", description="Where an order would go, and what it would cost.")
class QuoteNode:
    service: ServiceNode = strawberry.field(description="The service quoted.")
    quantity: BigInt = strawberry.field(description="The units one run delivers.")
    cost: Money | None = strawberry.field(
        description=(
            "The cost with the chosen provider (for a client account's key, its price), of "
            "all the parts of a split, or of every run of a drip-feed the gateway runs itself; "
            "null when placement would refuse the order."
        )
    )
    parts: list[QuotePart] = strawberry.field(
        description=(
            "The parts, one per provider, of a quantity placement would split (above every "
            "provider's maximum); empty when one provider takes the order whole, or none can."
        )
    )
    refusal: str | None = strawberry.field(
        description=(
            "Why placing the order would be refused, in the words placement answers with; "
            "null when it would be placed."
        )
    )
    policy: RoutingPolicy = strawberry.field(description="The policy that ranked the providers.")
    policy_source: str = strawberry.field(
        description=("Where the policy came from: request, key, account, group, config or default.")
    )
    chosen: QuoteCandidate | None = strawberry.field(
        description="The provider that would be used (ops or admin keys).",
        permission_classes=OPERATOR,
    )
    candidates: list[QuoteCandidate] | None = strawberry.field(
        description=(
            "Every provider able to take it, in the policy's order (failover order; ops or "
            "admin keys)."
        ),
        permission_classes=OPERATOR,
    )
    excluded: list[QuoteExclusion] | None = strawberry.field(
        description="The providers that cannot, with the reason for each (ops or admin keys).",
        permission_classes=OPERATOR,
    )

    @classmethod
    def of(
        cls,
        quote: Quote,
        price: ClientPrice | None = None,
        placing: Placing | None = None,
        refusal: str | None = None,
    ) -> QuoteNode:
        """The quote; with a client account's `price`, that is what it costs; with `placing`,
        the parts of a split (their cost, or their client prices), the runs of a drip-feed
        the gateway runs (their cost, or their client price), and `refusal`, why placement
        would refuse it."""
        ranked = [QuoteCandidate.of(i, c) for i, c in enumerate(quote.candidates, 1)]
        cost = ranked[0].cost if ranked else None
        if price is not None:
            cost = Money(amount=price.amount, currency=price.currency)
        split = placing.split if placing is not None else None
        parts = []
        if split is not None:
            parts = [QuotePart.of(p, split.prices[i] if split.prices else None)
                     for i, p in enumerate(split.parts)]  # fmt: skip
            total = split.cost if split.price is None else split.price
            cost = Money(amount=total.amount, currency=total.currency)
        drip = placing.drip if placing is not None else None
        if drip is not None:
            every = drip.cost if drip.price is None else drip.price
            cost = Money(amount=every.amount, currency=every.currency)
        return cls(
            service=ServiceNode.of(quote.group), quantity=BigInt(quote.request.units),
            cost=cost, parts=parts, refusal=refusal, policy=parse_policy(quote.policy),
            policy_source=quote.policy_source,
            chosen=ranked[0] if ranked else None, candidates=ranked,
            excluded=[QuoteExclusion.of(e) for e in quote.excluded],
        )  # fmt: skip
