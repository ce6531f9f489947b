"""The ``Subscription`` root: order changes as they happen, over graphql-transport-ws.

Fed by the gateway's event bus (the outbox relay publishes every recorded order change). Each
update carries the order as the ledger holds it when the event is delivered, so a client that
missed an intermediate event still sees the current state.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from gateway.graphql.context import Info
from gateway.graphql.errors import BadInput
from gateway.graphql.fields import subscription
from gateway.graphql.order_types import OrderNode
from gateway.graphql.permissions import RequireRead


@strawberry.type(description="An order changed.")
class OrderUpdate:
    event: str = strawberry.field(
        description="The event type: order.created, order.updated, order.completed..."
    )
    event_id: str = strawberry.field(description="The event's id, unique per change.")
    at: datetime = strawberry.field(description="When the change happened.")
    order: OrderNode = strawberry.field(description="The order as it stands now.")


@strawberry.type(description="Live updates.")
class Subscription:
    @subscription(
        "Changes of the caller's orders: those in `ids`, or all of them when `ids` is "
        "omitted (every client's for ops and admin keys).",
        permission_classes=[RequireRead],
    )
    async def order_updated(
        self, info: Info, ids: list[int] | None = None
    ) -> AsyncGenerator[OrderUpdate, None]:
        principal = info.context.principal
        assert principal is not None
        limit = info.context.options.max_batch_ids
        if ids is not None and not 0 < len(ids) <= limit:
            raise BadInput(f"give between 1 and {limit} order ids", field="ids")
        wanted = None if ids is None else set(ids)
        owner = principal.read_owner
        context = info.context
        async with context.app.bus.subscribe() as events:
            async for event in events:
                order_id = event.order_id
                if order_id is None or (wanted is not None and order_id not in wanted):
                    continue
                if owner is not None and event.client_id != owner:
                    continue
                # The connection's loaders would answer from what they read for earlier events.
                context.fresh_loaders()
                row = await context.loaders.order.load(order_id)
                if row is None or (row.parent_id is not None and not principal.operator):
                    # A client follows its split and drip-fed orders as one order each.
                    continue
                yield OrderUpdate(
                    event=event.type, event_id=event.id, at=event.created_at,
                    order=OrderNode.of(row),
                )  # fmt: skip
