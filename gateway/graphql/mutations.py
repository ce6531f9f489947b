"""The ``Mutation`` root: place, refill and cancel orders (a client account's key places on its
account); resolve an unconfirmed order or refill and sync the catalog (admin); API keys
(`api_keys`) and client accounts (`account_mutations`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.graphql.account_mutations import AccountMutations
from gateway.graphql.api_keys import ApiKeyMutations
from gateway.graphql.context import Info
from gateway.graphql.errors import BadInput
from gateway.graphql.fields import mutation
from gateway.graphql.inputs import OrderInput
from gateway.graphql.order_types import OrderNode, RefillNode
from gateway.graphql.payloads import (
    ActionRefusedError,
    CancelOrderResult,
    CancelOrdersPayload,
    CancelRequested,
    NotFoundError,
    NotUnconfirmedError,
    NotUnconfirmedRefillError,
    PlaceOrderResult,
    RefillOrderResult,
    RefillOrdersPayload,
    RefillRequested,
    ResolveOrderResult,
    ResolveOrderSuccess,
    ResolveRefillResult,
    ResolveRefillSuccess,
    SyncCatalogPayload,
    ValidationError,
    order_error,
    placed,
)
from gateway.graphql.permissions import RequireAdmin, RequireOrder
from gateway.graphql.provider_types import ProviderSync
from gateway.orders import (
    InvalidResolution,
    NotUnconfirmed,
    NotUnconfirmedRefill,
    OrderError,
    OrderUnknown,
    Outcome,
    RefillUnknown,
)

MAX_IDEMPOTENCY_KEY = 200


def _checked_ids(info: Info, ids: list[int]) -> list[int]:
    limit = info.context.options.max_batch_ids
    if not ids or len(ids) > limit:
        raise BadInput(f"give between 1 and {limit} order ids", field="ids")
    return ids


def _not_found(order_id: int) -> NotFoundError:
    return NotFoundError(message=f"unknown order {order_id}", code="ORDER_NOT_FOUND", id=order_id)


_INPUT_NAMES = {"provider_order_id": "providerOrderId", "provider_refill_id": "providerRefillId"}


@strawberry.type(
    description=(
        "Place, refill and cancel orders; resolve them; sync the catalog; manage API keys and "
        "client accounts."
    )
)
class Mutation(ApiKeyMutations, AccountMutations):
    @mutation(
        (
            "Place an order with the first provider able to take it by the routing policy "
            "(`input.policy`, else the key's, the account's, the service's or the gateway's), "
            "failing over only when "
            "the order provably was not placed. Repeating a request with the same "
            "`idempotencyKey` returns the same order and never reaches a provider twice."
        ),
        permission_classes=[RequireOrder],
    )
    async def place_order(
        self, info: Info, input: OrderInput, idempotency_key: str | None = None
    ) -> PlaceOrderResult:
        principal = info.context.principal
        assert principal is not None
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            return ValidationError(
                message=f"idempotencyKey must have 1 to {MAX_IDEMPOTENCY_KEY} characters",
                code="INVALID_IDEMPOTENCY_KEY", field="idempotencyKey",
            )  # fmt: skip
        try:
            row = await info.context.gateway.place(
                principal.client_id, input.service_id, input.fields(),
                idempotency_key=idempotency_key, needs=input.need_set(),
                account=info.context.account, policy=input.policy_name(),
                key_id=principal.key_id, split=bool(input.split),
            )  # fmt: skip
        except OrderError as exc:
            return order_error(exc, service_id=input.service_id, operator=principal.operator)
        return placed(row)

    @mutation(
        "Ask the providers to refill these orders (at most 100 ids).",
        permission_classes=[RequireOrder],
    )
    async def refill_orders(self, info: Info, ids: list[int]) -> RefillOrdersPayload:
        principal = info.context.principal
        assert principal is not None
        gw = info.context.gateway
        outcomes = await gw.orders.addressed(
            gw.orders.refill, _checked_ids(info, ids), principal.order_owner,
            parts=principal.operator,
        )  # fmt: skip

        def result(o: Outcome) -> RefillOrderResult:
            if o.order is None:
                return _not_found(o.order_id)
            order = OrderNode.of(o.order)
            if o.error is not None:
                message = o.error if principal.operator else o.shown or o.error
                return ActionRefusedError(message=message, code="REFILL_REFUSED", order=order)
            refill = RefillNode.of(o.refill) if o.refill is not None else None
            return RefillRequested(order=order, refill=refill)

        return RefillOrdersPayload(results=[result(o) for o in outcomes])

    @mutation(
        "Ask the providers to cancel these orders (at most 100 ids).",
        permission_classes=[RequireOrder],
    )
    async def cancel_orders(self, info: Info, ids: list[int]) -> CancelOrdersPayload:
        principal = info.context.principal
        assert principal is not None
        gw = info.context.gateway
        outcomes = await gw.orders.addressed(
            gw.orders.cancel, _checked_ids(info, ids), principal.order_owner,
            parts=principal.operator,
        )  # fmt: skip

        def result(o: Outcome) -> CancelOrderResult:
            if o.order is None:
                return _not_found(o.order_id)
            order = OrderNode.of(o.order)
            if o.error is not None:
                message = o.error if principal.operator else o.shown or o.error
                return ActionRefusedError(message=message, code="CANCEL_REFUSED", order=order)
            return CancelRequested(order=order)

        return CancelOrdersPayload(results=[result(o) for o in outcomes])

    @mutation(
        (
            "Settle an UNCONFIRMED order once its panel was checked (admin): placed there as "
            "`providerOrderId` (it becomes PENDING and the gateway follows it) or `notPlaced` "
            "(FAILED, nothing charged). Recorded in its history and announced, naming the key."
        ),
        permission_classes=[RequireAdmin],
    )
    async def resolve_order(
        self,
        info: Info,
        id: Annotated[int, strawberry.argument(description="The gateway's order id.")],
        provider_order_id: Annotated[
            str | None, strawberry.argument(description="The order's id at its provider.")
        ] = None,
        not_placed: Annotated[
            bool, strawberry.argument(description="The provider has no such order.")
        ] = False,
        force: Annotated[
            bool,
            strawberry.argument(
                description=(
                    "Record `providerOrderId` even if another order has it or the panel "
                    "cannot confirm it."
                )
            ),
        ] = False,
    ) -> ResolveOrderResult:
        gw = info.context.gateway
        by = _resolver(info)
        try:
            row = await gw.orders.resolve(
                id, by=by, provider_order_id=provider_order_id, not_placed=not_placed, force=force
            )
        except OrderUnknown:
            return _not_found(id)
        except NotUnconfirmed as exc:
            order = OrderNode.of(await gw.store.get_order(id))
            return NotUnconfirmedError(message=exc.message, code=exc.code, order=order)
        except InvalidResolution as exc:
            field = _INPUT_NAMES.get(exc.field or "", exc.field)
            return ValidationError(message=exc.message, code=exc.code, field=field)
        return ResolveOrderSuccess(order=OrderNode.of(row), resolved_by=by)

    @mutation(
        (
            "Settle an UNCONFIRMED refill once its panel was checked (admin): made there as "
            "`providerRefillId` (it becomes PENDING and the gateway follows it) or `notMade` "
            "(FAILED: the order may be refilled again). Recorded in its order's history."
        ),
        permission_classes=[RequireAdmin],
    )
    async def resolve_refill(
        self,
        info: Info,
        id: Annotated[int, strawberry.argument(description="The gateway's refill id.")],
        provider_refill_id: Annotated[
            str | None, strawberry.argument(description="The refill's id at its provider.")
        ] = None,
        not_made: Annotated[
            bool, strawberry.argument(description="The provider has no such refill.")
        ] = False,
        force: Annotated[
            bool,
            strawberry.argument(
                description="Record `providerRefillId` even if the panel cannot confirm it."
            ),
        ] = False,
    ) -> ResolveRefillResult:
        gw = info.context.gateway
        by = _resolver(info)
        try:
            row = await gw.orders.resolve_refill(
                id, by=by, provider_refill_id=provider_refill_id, not_made=not_made, force=force
            )
        except RefillUnknown as exc:
            return NotFoundError(message=exc.message, code=exc.code, id=id)
        except NotUnconfirmedRefill as exc:
            [refill] = await gw.store.get_refills([id])
            return NotUnconfirmedRefillError(
                message=exc.message, code=exc.code, refill=RefillNode.of(refill)
            )
        except InvalidResolution as exc:
            field = _INPUT_NAMES.get(exc.field or "", exc.field)
            return ValidationError(message=exc.message, code=exc.code, field=field)
        return ResolveRefillSuccess(refill=RefillNode.of(row), resolved_by=by)

    @mutation(
        "Fetch every provider's services now and rebuild the catalog (admin).",
        permission_classes=[RequireAdmin],
    )
    async def sync_catalog(self, info: Info) -> SyncCatalogPayload:
        catalog = info.context.gateway.catalog
        results = await catalog.sync()
        snapshot = await catalog.snapshot()
        return SyncCatalogPayload(
            providers=[ProviderSync.of(r) for r in results], service_count=len(snapshot.groups)
        )


def _resolver(info: Info) -> str:
    """Who settles an UNCONFIRMED order or refill, as its history names them: the calling key."""
    principal = info.context.principal
    assert principal is not None
    return f"api-key:{principal.name}#{principal.key_id}"
