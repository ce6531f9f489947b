"""Catalog types: unified services (groups), the provider offers behind them, money."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry
from graphql import GraphQLError

from gateway.catalog import Group, Offer
from gateway.classify import Metric, Platform, RefillKind
from gateway.graphql.compiled import CACHED_NODES, FAST_RESOLVERS
from gateway.graphql.enums import OrderDirection, ServiceOrderField
from gateway.graphql.fields import field
from gateway.graphql.permissions import OPERATOR
from gateway.graphql.quality_types import QualityNode, quality_of
from gateway.graphql.scalars import BigInt
from providers.models import Money as CoreMoney
from providers.models import ServiceType

if TYPE_CHECKING:  # the context module imports these types
    from gateway.graphql.context import Context


@strawberry.type(description="An exact amount of money in a currency.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, as an exact decimal string.")
    currency: str = strawberry.field(description="ISO 4217 code, such as USD.")

    @classmethod
    def of(cls, money: CoreMoney) -> Money:
        return cls(amount=money.amount, currency=money.currency)


@strawberry.type(
    name="ServiceOffer", description="One provider's service inside a unified service."
)
class OfferNode:
    id: int = strawberry.field(description="The gateway's stable id of this provider service.")
    provider: str = strawberry.field(description="The provider's name.")
    provider_service_id: str = strawberry.field(description="The service's id at the provider.")
    name: str = strawberry.field(description="The service's name at the provider.")
    category: str = strawberry.field(description="The provider's category.")
    type: ServiceType = strawberry.field(description="The provider's service type.")
    rate: Money = strawberry.field(description="Price per 1000 in the provider's currency.")
    base_rate: Money = strawberry.field(description="Price per 1000 in the base currency.")
    min: BigInt = strawberry.field(description="Smallest quantity the provider accepts.")
    max: BigInt = strawberry.field(description="Largest quantity the provider accepts.")
    refill: bool = strawberry.field(description="The provider offers refills.")
    cancel: bool = strawberry.field(description="The provider accepts cancel requests.")
    drip_feed: bool | None = strawberry.field(
        description="The provider accepts drip-feed orders; null when the panel does not say."
    )

    @field(
        "How this provider delivered this service lately (ops or admin keys).",
        permission_classes=OPERATOR,
    )
    async def quality(self, info: strawberry.Info) -> QualityNode | None:
        context: Context = info.context
        return await quality_of(context, self.provider, self.provider_service_id)

    @classmethod
    def of(cls, offer: Offer) -> OfferNode:
        service = offer.service
        return cls(
            id=offer.id, provider=offer.provider, provider_service_id=service.id,
            name=service.name, category=service.category, type=service.type,
            rate=Money.of(service.rate),
            base_rate=Money(amount=offer.rate, currency=offer.base_currency),
            min=BigInt(service.min), max=BigInt(service.max), refill=service.refill,
            cancel=service.cancel, drip_feed=service.dripfeed,
        )  # fmt: skip


@strawberry.type(
    name="Service",
    description=(
        "A unified service: one product (say, Instagram followers with a 30-day refill) that "
        "one or more providers sell. Orders name it by `id`; the gateway picks the provider."
    ),
)
class ServiceNode:
    id: int = strawberry.field(description="The stable service id, used to quote and order.")
    name: str = strawberry.field(description="A readable name.")
    platform: Platform = strawberry.field(description="The network the service works on.")
    metric: Metric = strawberry.field(description="What the service delivers.")
    type: ServiceType = strawberry.field(
        description="The service type: which order fields it takes."
    )
    refill: bool = strawberry.field(description="At least one provider offers refills.")
    refill_kind: RefillKind = strawberry.field(description="The refill guarantee as stated.")
    refill_days: int | None = strawberry.field(
        description="The refill period in days, when the guarantee names one."
    )
    cancel: bool = strawberry.field(description="At least one provider accepts cancels.")
    drip_feed: bool = strawberry.field(description="At least one provider accepts drip-feed.")
    min: BigInt = strawberry.field(description="Smallest quantity any provider accepts.")
    max: BigInt = strawberry.field(description="Largest quantity any provider accepts.")
    provider_count: int | None = strawberry.field(
        description="How many providers offer it (ops or admin keys).", permission_classes=OPERATOR
    )
    geo: str | None = strawberry.field(description="The audience's country, when targeted.")
    group: strawberry.Private[Group]
    cheapest_rate: strawberry.Private[Money]

    @field(
        "The price per 1000: the cheapest provider's, in the base currency; for a client "
        "account's key, the account's own price, in its currency."
    )
    def rate(self, info: strawberry.Info) -> Money:
        return service_rate(self, info.context)

    @field(
        "The providers' offers, cheapest first (ops or admin keys).", permission_classes=OPERATOR
    )
    def members(self) -> list[OfferNode] | None:
        return [OfferNode.of(offer) for offer in self.group.members]

    @classmethod
    def of(cls, group: Group) -> ServiceNode:
        c = group.classification or group.cheapest.classification
        cheapest = group.cheapest
        return cls(
            id=group.id, name=group.name, platform=c.platform, metric=c.metric, type=group.type,
            refill=group.refill, refill_kind=c.refill.kind, refill_days=c.refill.days,
            cancel=group.cancel, drip_feed=group.dripfeed, min=BigInt(group.min),
            max=BigInt(group.max),
            cheapest_rate=Money(amount=cheapest.rate, currency=cheapest.base_currency),
            provider_count=len(group.providers), geo=c.geo, group=group,
        )  # fmt: skip


def service_rate(node: ServiceNode, context: Context) -> Money:
    """`ServiceNode.rate`, from the context alone (the compiled executor calls it directly)."""
    prices = context.prices
    if prices is None:
        return node.cheapest_rate
    rate = prices.rate(node.group)
    if rate is None:  # the lists leave such services out; nothing else should reach here
        raise GraphQLError("this service is unavailable", extensions={"code": "UNAVAILABLE"})
    return Money(amount=rate, currency=prices.currency)


def price_key(context: Context) -> str | None:
    """What of the context a service's fields read: the client account's prices, if any."""
    prices = context.prices
    return None if prices is None else prices.key


FAST_RESOLVERS[("Service", "rate")] = service_rate
# The catalog view makes one node per service and snapshot: completed once per price list.
CACHED_NODES["Service"] = price_key


@strawberry.input(description="Narrows the list of services; every given condition must hold.")
class ServiceFilter:
    platform: Platform | None = strawberry.field(default=None, description="Only this network.")
    metric: Metric | None = strawberry.field(default=None, description="Only this metric.")
    type: ServiceType | None = strawberry.field(default=None, description="Only this type.")
    search: str | None = strawberry.field(
        default=None,
        description="Words that must all appear in the name or a provider's service name.",
    )
    provider: str | None = strawberry.field(
        default=None, description="Only services this provider offers (ops or admin keys)."
    )
    max_rate: Decimal | None = strawberry.field(
        default=None, description="Only services whose cheapest rate is at most this."
    )
    refill: bool | None = strawberry.field(default=None, description="With (or without) refill.")
    cancel: bool | None = strawberry.field(default=None, description="With (or without) cancel.")
    drip_feed: bool | None = strawberry.field(
        default=None, description="With (or without) drip-feed."
    )


@strawberry.input(description="How to sort services.")
class ServiceOrder:
    field: ServiceOrderField = strawberry.field(
        default=ServiceOrderField.RATE, description="The sort key."
    )
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Ascending or descending."
    )
