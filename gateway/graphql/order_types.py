"""Order types: an order as its client sees it, its history and its refills."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.graphql.catalog_types import Money, ServiceNode
from gateway.graphql.context import Info
from gateway.graphql.enums import OrderStatus, RefillStatus, order_status, refill_status
from gateway.graphql.fields import field
from gateway.graphql.permissions import OPERATOR, RequireOpsOrAccount
from gateway.graphql.scalars import BigInt
from gateway.rest.v2_texts import failed_text
from gateway.store import GatewayState, OrderEvent, OrderRow, RefillRow
from gateway.store.refills import REFILL_UNCONFIRMED


def _big(value: int | None) -> BigInt | None:
    return None if value is None else BigInt(value)


UNCONFIRMED_TEXT = "The provider's answer was lost; the order may exist there and is checked"
REFILL_UNCONFIRMED_TEXT = (
    "The provider's answer to this refill request was lost; the refill may exist there. "
    "It is being checked; the order is not asked again until then."
)


def client_error(row: OrderRow) -> str:
    """An order's error as a client may read it, in the v2 endpoint's texts: nothing of which
    panel said what, or how."""
    if row.state == GatewayState.UNCONFIRMED:
        return UNCONFIRMED_TEXT
    return failed_text(row.attempts)


def _money(amount: object, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount=amount, currency=currency)  # type: ignore[arg-type]


def _quantity(request: Mapping[str, Any]) -> BigInt | None:
    """How many units an order asks for (per run when drip-fed), as `OrderRequest.units` counts
    them for its price: its quantity, else how many comments or usernames it lists (a custom
    comments package too, whose price is flat); None for an order that names no count (a
    Package, a Subscription's minimum and maximum per post)."""
    if request.get("quantity") is not None:
        return BigInt(int(request["quantity"]))
    for listed in (request.get("comments"), request.get("usernames")):
        lines = listed.splitlines() if isinstance(listed, str) else listed or []
        count = sum(1 for line in lines if str(line).strip())
        if count:
            return BigInt(count)
    return None


def _cost(row: OrderRow) -> Money | None:
    if row.parent_id is not None:  # a part or a run: its client order carries the price
        return None
    if row.client_price is not None:
        return _money(row.client_price, row.client_currency)
    return _money(row.quoted_cost, row.currency)


@strawberry.type(name="Refill", description="A refill requested of a provider for an order.")
class RefillNode:
    id: int = strawberry.field(description="The gateway's refill id.")
    order_id: int = strawberry.field(description="The order refilled.")
    status: RefillStatus = strawberry.field(description="The normalised refill status.")
    status_raw: str | None = strawberry.field(description="The provider's own status text.")
    note: str | None = strawberry.field(
        description="What the status means when it is UNCONFIRMED; null otherwise."
    )
    created_at: datetime = strawberry.field(description="When the refill was requested.")
    updated_at: datetime = strawberry.field(description="When its status last changed.")
    provider: str | None = strawberry.field(
        description="The provider asked (ops and admin keys).", permission_classes=OPERATOR
    )
    error: str | None = strawberry.field(
        description=(
            "Why the refill failed or is unconfirmed, in the panel's or the gateway's own "
            "words (ops and admin keys)."
        ),
        permission_classes=OPERATOR,
    )

    @field("The order refilled, as the caller may see it.")
    async def order(self, info: Info) -> OrderNode | None:
        row = await info.context.loaders.order.load(self.order_id)
        return OrderNode.of(row) if row is not None else None

    @classmethod
    def of(cls, row: RefillRow) -> RefillNode:
        note = REFILL_UNCONFIRMED_TEXT if row.state == REFILL_UNCONFIRMED else None
        return cls(
            id=row.id, order_id=row.order_id, status=refill_status(row.state),
            status_raw=row.status_raw, note=note, created_at=row.created_at,
            updated_at=row.updated_at, provider=row.provider, error=row.error,
        )  # fmt: skip


@strawberry.type(description="One change in an order's life.")
class OrderHistoryEntry:
    at: datetime = strawberry.field(description="When it happened.")
    kind: str = strawberry.field(
        description="What happened: created, routed, placed, status, refill, failed..."
    )
    from_status: OrderStatus | None = strawberry.field(description="The status before.")
    to_status: OrderStatus | None = strawberry.field(description="The status after.")
    details: JSON | None = strawberry.field(
        description="What the ledger recorded with it (ops or admin keys): the routing decision "
        "(candidates in order, the policy, an exploration), each attempt at a provider with its "
        "answer, a resolution and who made it.",
        permission_classes=OPERATOR,
    )

    @classmethod
    def of(cls, event: OrderEvent) -> OrderHistoryEntry:
        return cls(
            at=event.at,
            kind=event.kind,
            from_status=order_status(event.from_state) if event.from_state else None,
            to_status=order_status(event.to_state) if event.to_state else None,
            details=None if event.data is None else JSON(dict(event.data)),
        )


@strawberry.type(name="Order", description="An order placed through the gateway.")
class OrderNode:
    id: int = strawberry.field(description="The gateway's order id.")
    client_id: str = strawberry.field(description="The client the order belongs to.")
    service_id: int | None = strawberry.field(description="The unified service ordered.")
    status: OrderStatus = strawberry.field(description="The normalised status.")
    status_raw: str | None = strawberry.field(description="The provider's own status text.")
    provider: str | None = strawberry.field(
        description="The provider that took the order (ops or admin keys).",
        permission_classes=OPERATOR,
    )
    link: str | None = strawberry.field(description="The link the order is for.")
    quantity: BigInt | None = strawberry.field(
        description=(
            "How many units the order asks for (per run for a drip-feed): the quantity given, "
            "or how many comments or usernames a custom comments, comment replies or mentions "
            "order lists. Null when the order names no count: a Package (one flat price) or a "
            "Subscription (a minimum and maximum per new post)."
        )
    )
    cost: Money | None = strawberry.field(
        description=(
            "What the order costs the client: its quoted price in the base currency, or a "
            "client account's price for it, in the account's currency. Null for a part or "
            "run of a split or drip-fed order (see parentId): its client order carries the "
            "price."
        )
    )
    parent_id: int | None = strawberry.field(
        description=(
            "The client order this order is a part or run of (a split or drip-fed order), "
            "as operators see them; null for an order placed as it is."
        )
    )
    start_count: BigInt | None = strawberry.field(description="The count when delivery started.")
    remains: BigInt | None = strawberry.field(description="How many units are still to deliver.")
    created_at: datetime = strawberry.field(description="When the order was received.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    row: strawberry.Private[OrderRow]

    @field(
        "Why the order failed or is unconfirmed, if it is: the panel's own words for ops and "
        "admin keys; for a client, the panel's text only when it is about the client's input "
        "(a bad link, a quantity), else a plain reason."
    )
    def error(self, info: Info) -> str | None:
        principal = info.context.principal
        if self.row.error is None or (principal is not None and principal.operator):
            return self.row.error
        return client_error(self.row)

    @field(
        "For ops and admin keys, what the provider charged (wholesale), in the currency it "
        "charged in, once it says. For a client account's key, what the account is charged: "
        "the final charge once the order settled, else the price held.",
        permission_classes=[RequireOpsOrAccount],
    )
    def charge(self, info: Info) -> Money | None:
        principal = info.context.principal
        row = self.row
        if principal is not None and principal.operator:
            return _money(row.charge, row.charge_currency or row.provider_currency)
        client = row.client_charge if row.client_charge is not None else row.client_price
        return _money(client, row.client_currency)

    @field("The unified service ordered, if it is still in the catalog.")
    async def service(self, info: Info) -> ServiceNode | None:
        if self.service_id is None:
            return None
        group = await info.context.loaders.group.load(self.service_id)
        prices = info.context.prices
        if group is None or (prices is not None and prices.rate(group) is None):
            return None  # gone, or unavailable to the caller's account now
        return ServiceNode.of(group)

    @field("Every change of the order, oldest first.")
    async def history(self, info: Info) -> list[OrderHistoryEntry]:
        return [OrderHistoryEntry.of(e) for e in await info.context.loaders.history.load(self.id)]

    @field("The refills requested for the order, oldest first.")
    async def refills(self, info: Info) -> list[RefillNode]:
        return [RefillNode.of(r) for r in await info.context.loaders.refills.load(self.id)]

    @classmethod
    def of(cls, row: OrderRow) -> OrderNode:
        return cls(
            id=row.id, client_id=row.client_id, service_id=row.group_id,
            status=order_status(row.state), status_raw=row.status_raw, provider=row.provider,
            link=row.request.get("link"),
            quantity=_quantity(row.request),
            cost=_cost(row), parent_id=row.parent_id,
            start_count=_big(row.start_count), remains=_big(row.remains),
            created_at=row.created_at, updated_at=row.updated_at, row=row,
        )  # fmt: skip


@strawberry.input(description="Narrows the list of orders.")
class OrderFilter:
    statuses: list[OrderStatus] | None = strawberry.field(
        default=None, description="Only orders in one of these statuses."
    )
    client_id: str | None = strawberry.field(
        default=None,
        description="Only this client's orders (ops and admin keys; others see their own).",
    )
