"""Provider quality as operators read it: each figure with the sample it was measured on.

A figure's `value` is null while its sample is below the gateway's minimum (no figure is
claimed from too few orders); the sample is always given. Providers and their offers read the
same report, once per request (`Loaders.quality`)::

    { providers { name quality { completionRate { value sample } } } }
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry

from gateway.quality import Figure, Quality

if TYPE_CHECKING:  # the context module imports the types that show quality
    from gateway.graphql.context import Context


@strawberry.type(
    name="QualityFigure",
    description="One quality measure and the number of orders (or refills) it was measured on.",
)
class FigureNode:
    value: Decimal | None = strawberry.field(
        description="The measure; null while `sample` is below the minimum sample."
    )
    sample: int = strawberry.field(description="Orders (or refills) it was measured on.")

    @classmethod
    def of(cls, figure: Figure) -> FigureNode:
        return cls(value=figure.value, sample=figure.sample)


@strawberry.type(
    name="Quality",
    description=(
        "How a provider (or one of its services) delivered over the last `days` days, from "
        "the orders that ended in that window."
    ),
)
class QualityNode:
    days: int = strawberry.field(description="The window, in days up to today (UTC).")
    min_sample: int = strawberry.field(
        description="The fewest orders (or refills) a figure is given from."
    )
    orders: int = strawberry.field(
        description="Orders finished in the window (accepted by the provider, then final)."
    )
    completion_rate: FigureNode = strawberry.field(
        description="Share of finished orders that completed."
    )
    partial_rate: FigureNode = strawberry.field(
        description="Share of finished orders that ended partial."
    )
    delivered_fraction: FigureNode = strawberry.field(
        description="Units delivered over units ordered, over finished orders."
    )
    cancel_rate: FigureNode = strawberry.field(
        description="Share of finished orders canceled or refunded."
    )
    failure_rate: FigureNode = strawberry.field(
        description="Share of the orders sent that the provider refused."
    )
    start_seconds: FigureNode = strawberry.field(
        description="Mean seconds from sending an order to its first progress."
    )
    complete_seconds_per_1000: FigureNode = strawberry.field(
        name="completeSecondsPer1000",
        description="Mean seconds from sending to completion, per 1,000 units.",
    )
    refill_success_rate: FigureNode = strawberry.field(
        description="Share of ended refills that completed."
    )
    refills_requested: int = strawberry.field(
        description="Refills the provider accepted in the window."
    )
    charge_fraction: FigureNode = strawberry.field(
        description=(
            "Final charges over the quoted costs, over finished orders whose charge is known: "
            "1 for a panel that keeps what it quoted, below 1 for one that refunds what it did "
            "not deliver."
        )
    )

    @classmethod
    def of(cls, q: Quality, min_sample: int) -> QualityNode:
        return cls(
            days=q.days, min_sample=min_sample, orders=q.orders,
            completion_rate=FigureNode.of(q.completion_rate),
            partial_rate=FigureNode.of(q.partial_rate),
            delivered_fraction=FigureNode.of(q.delivered_fraction),
            cancel_rate=FigureNode.of(q.cancel_rate),
            failure_rate=FigureNode.of(q.failure_rate),
            start_seconds=FigureNode.of(q.start_seconds),
            complete_seconds_per_1000=FigureNode.of(q.complete_seconds_per_1000),
            refill_success_rate=FigureNode.of(q.refill_success_rate),
            refills_requested=q.refills_requested,
            charge_fraction=FigureNode.of(q.charge_fraction),
        )  # fmt: skip


FIGURE_FIELDS = (
    "completionRate", "partialRate", "deliveredFraction", "cancelRate", "failureRate",
    "startSeconds", "completeSecondsPer1000", "refillSuccessRate", "chargeFraction",
)  # fmt: skip
"""The `Quality` fields that are figures, as the schema names them."""


async def quality_of(context: Context, provider: str, service: str | None) -> QualityNode:
    """`provider`'s figures (of its `service`, when given) from this request's report."""
    found = await context.loaders.quality.load(None)
    quality = found.provider(provider) if service is None else found.service(provider, service)
    return QualityNode.of(quality, found.min_sample)
