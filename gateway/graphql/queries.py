"""The ``Query`` root: catalog, quotes, the caller's orders and account, balances, providers,
prices; the client accounts (`account_queries`) and API keys (`api_keys`) for operators."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission

from gateway.accounts.errors import AccountRefused
from gateway.graphql.account_queries import AccountQueries
from gateway.graphql.account_types import AccountNode
from gateway.graphql.api_keys import ApiKeyQueries
from gateway.graphql.catalog_types import Money, ServiceFilter, ServiceNode, ServiceOrder
from gateway.graphql.context import Info
from gateway.graphql.enums import status_value
from gateway.graphql.fields import field
from gateway.graphql.inputs import OrderDetailsInput, OrderInput
from gateway.graphql.order_types import OrderFilter, OrderNode, RefillNode
from gateway.graphql.pagination import (
    Connection,
    connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from gateway.graphql.payloads import (
    AccountRefusedError,
    NotFoundError,
    QuoteResult,
    invalid_order,
    quote_refusal,
)
from gateway.graphql.permissions import FORBIDDEN, RequireOps, RequireRead
from gateway.graphql.provider_types import (
    BalanceNode,
    Balances,
    PriceChangeNode,
    ProviderNode,
    ProviderSync,
)
from gateway.graphql.quote_types import QuoteNode
from gateway.graphql.scalars import BigInt
from gateway.orders import InvalidOrder, OrderUnknown, ServiceNotFound
from gateway.routing import Need
from gateway.store.rows import RoutingPolicy

READ: list[type[BasePermission]] = [RequireRead]
OPS: list[type[BasePermission]] = [RequireOps]


@strawberry.type(description="The caller, as its API key identifies it.")
class Viewer:
    client_id: str = strawberry.field(
        description=(
            "The client the key acts as: whose orders it places and reads (ops and admin keys "
            "read every client's)."
        )
    )
    scopes: list[str] = strawberry.field(
        description="What the key may do: read, order, ops, admin."
    )
    key_name: str = strawberry.field(description="The key's name.")

    @field(
        "The client account the key belongs to: its funds, limits and movements (null for "
        "the operator's own keys); how its prices are made (`priceList`, `marginPolicy`) "
        "stays the operator's."
    )
    def account(self, info: Info) -> AccountNode | None:
        account = info.context.account
        return None if account is None else AccountNode.of(account)


@strawberry.type(description="Read the catalog, quotes, orders, balances, providers, accounts.")
class Query(ApiKeyQueries, AccountQueries):
    @field("The caller's identity and scopes.", permission_classes=READ)
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        assert principal is not None  # RequireRead let it through
        return Viewer(
            client_id=principal.client_id,
            scopes=sorted(s.value for s in principal.scopes),
            key_name=principal.name,
        )

    @field(
        "The unified catalog, cheapest first by default; 50 a page, at most 500.",
        permission_classes=READ,
    )
    async def services(
        self,
        info: Info,
        filter: ServiceFilter | None = None,
        order_by: ServiceOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ServiceNode]:
        principal = info.context.principal
        probing = filter is not None and filter.provider is not None
        if probing and (principal is None or not principal.operator):
            # Filtering by provider would let a client learn which panels are behind us.
            raise StrawberryGraphQLError(
                "filtering by provider needs the 'ops' scope",
                extensions={"code": FORBIDDEN, "scope": "ops"},
            )
        size = page_size(first)
        position = decode_cursor("svc", after)
        start = 0 if position is None else position + 1
        view = info.context.views.of(await info.context.gateway.catalog.snapshot())
        groups = view.select(filter, order_by)
        prices = info.context.prices
        if prices is not None:
            max_rate = filter.max_rate if filter is not None else None
            groups = prices.visible(groups, max_rate, order_by)
        page = groups[start : start + size]
        return connection(
            [view.node(g) for g in page],
            [encode_cursor("svc", start + i) for i in range(len(page))],
            has_next=start + size < len(groups),
            has_previous=start > 0,
            total=len(groups),
        )

    @field("One unified service by id.", permission_classes=READ)
    async def service(self, info: Info, id: int) -> ServiceNode | None:
        view = info.context.views.of(await info.context.gateway.catalog.snapshot())
        group = view.group(id)
        prices = info.context.prices
        if group is None or (prices is not None and prices.rate(group) is None):
            return None
        return view.node(group)

    @field(
        "Where an order would go and what it would cost, with ranked alternatives; `policy` "
        "ranks them (default: the key's, the account's, the service's or the gateway's). A "
        "quantity above every provider's maximum is quoted in the parts placement would split "
        "it into; an order placement would refuse says why (`refusal`).",
        permission_classes=READ,
    )
    async def quote(
        self,
        info: Info,
        service_id: int,
        quantity: BigInt | None = None,
        link: str | None = None,
        needs: list[Need] | None = None,
        details: OrderDetailsInput | None = None,
        policy: RoutingPolicy | None = None,
    ) -> QuoteResult:
        order = OrderInput(
            service_id=service_id, link=link, quantity=quantity, needs=needs, details=details,
            policy=policy,
        )  # fmt: skip
        gw = info.context.gateway
        account = info.context.account
        principal = info.context.principal
        key_id = None if principal is None else principal.key_id
        fields, wanted, name = order.fields(), order.need_set(), order.policy_name()
        price = None
        try:
            if account is None:
                quote = await gw.quote(service_id, fields, wanted, policy=name, key_id=key_id)
            else:
                quote, price = await gw.quote_for(
                    account, service_id, fields, wanted, policy=name, key_id=key_id
                )
            # A quantity above every provider's maximum is priced as placement splits it.
            placing = await gw.placing(
                quote, fields, wanted, policy=name, key_id=key_id, account=account
            )
        except ServiceNotFound as exc:
            return NotFoundError(message=exc.message, code=exc.code, id=service_id)
        except InvalidOrder as exc:
            return invalid_order(exc)
        except AccountRefused as exc:
            return AccountRefusedError(message=exc.message, code=exc.code)
        operator = principal is not None and principal.operator
        refusal = quote_refusal(quote, placing.refusal, operator=operator)
        return QuoteNode.of(quote, price, placing, refusal)

    @field(
        "The caller's orders (every client's for ops and admin keys), newest first.",
        permission_classes=READ,
    )
    async def orders(
        self,
        info: Info,
        filter: OrderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OrderNode]:
        size = page_size(first)
        after_id = decode_cursor("order", after)
        principal = info.context.principal
        assert principal is not None
        owner = principal.read_owner
        if filter is not None and filter.client_id is not None:
            if owner is not None and filter.client_id != owner:
                # Another client's orders do not exist for this caller.
                return connection([], [], has_next=False, has_previous=after_id is not None)
            owner = filter.client_id
        statuses = filter.statuses if filter is not None else None
        states = [status_value(s) for s in statuses] if statuses else None
        # A client sees its split and drip-fed orders as one order each; operators see the parts.
        rows = await info.context.gateway.store.list_orders(
            owner, states, after_id, size + 1, whole_only=not principal.operator
        )
        page = rows[:size]
        return connection(
            [OrderNode.of(r) for r in page],
            [encode_cursor("order", r.id) for r in page],
            has_next=len(rows) > size,
            has_previous=after_id is not None,
        )

    @field(
        "One of the caller's orders by id (any client's for ops and admin keys).",
        permission_classes=READ,
    )
    async def order(self, info: Info, id: int) -> OrderNode | None:
        principal = info.context.principal
        assert principal is not None
        try:
            row = await info.context.gateway.orders.get(
                id, principal.read_owner, parts=principal.operator
            )
        except OrderUnknown:
            return None
        return OrderNode.of(row)

    @field(
        "Refills whose panel answer was lost (UNCONFIRMED), oldest first (ops or admin keys): "
        "their orders are not asked again until each is resolved (resolveRefill).",
        permission_classes=OPS,
    )
    async def unconfirmed_refills(self, info: Info, first: int | None = None) -> list[RefillNode]:
        rows = await info.context.gateway.store.unconfirmed_refills(page_size(first))
        return [RefillNode.of(r) for r in rows]

    @field(
        "Every provider's balance and the total in the base currency (ops or admin keys).",
        permission_classes=OPS,
    )
    async def balances(self, info: Info) -> Balances:
        found = await info.context.gateway.balances.fetch()
        return Balances(
            providers=[BalanceNode.of(b) for b in found.providers],
            total=Money.of(found.total),
        )

    @field(
        "The upstream panels: health, cooldown, last catalog sync, service count "
        "(ops or admin keys).",
        permission_classes=OPS,
    )
    async def providers(self, info: Info) -> list[ProviderNode]:
        gw = info.context.gateway
        view = info.context.views.of(await gw.catalog.snapshot())
        synced = await gw.catalog.synced_at()
        nodes = []
        for name in gw.providers:
            health = gw.health.report(name)
            last = gw.catalog.last_sync.get(name)
            nodes.append(
                ProviderNode(
                    name=name, health=health.state,
                    consecutive_failures=health.consecutive_failures,
                    cooldown_seconds=round(health.cooldown_remaining, 3),
                    last_error=health.last_error,
                    last_sync=ProviderSync.of(last) if last else None,
                    synced_at=synced.get(name),
                    service_count=view.service_count(name),
                )
            )  # fmt: skip
        return nodes

    @field(
        "Provider services added, re-priced or removed, oldest first (ops or admin keys).",
        permission_classes=OPS,
    )
    async def price_changes(
        self,
        info: Info,
        since: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PriceChangeNode]:
        size = page_size(first)
        after_id = decode_cursor("price", after)
        gw = info.context.gateway
        changes = await gw.store.price_changes(since, after_id, size + 1)
        snapshot = await gw.catalog.snapshot()
        nodes = []
        for change in changes[:size]:
            offer = snapshot.offers.get((change.provider, change.provider_service_id))
            group = snapshot.group_of.get(offer.id) if offer is not None else None
            nodes.append(PriceChangeNode.of(change, group))
        return connection(
            nodes,
            [encode_cursor("price", n.id) for n in nodes],
            has_next=len(changes) > size,
            has_previous=after_id is not None,
        )
