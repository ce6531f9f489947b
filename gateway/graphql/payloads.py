"""Typed results: the payloads of mutations with their expected failures (quotes: `quote_types`).

An expected failure (a bad field, an unknown id, no provider able to take the order, no funds
anywhere, an outcome nobody can know) is a member of the result union, so a client handles it
with ``... on NoEligibleProviderError { exclusions { reason } }`` instead of parsing error text.
Every such member implements `UserError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated

import strawberry
from strawberry.utils.str_converters import to_camel_case

from gateway.accounts.errors import AccountRefused, InsufficientFunds
from gateway.graphql.order_types import OrderNode, RefillNode
from gateway.graphql.provider_types import ProviderSync
from gateway.graphql.quote_types import QuoteExclusion, QuoteNode
from gateway.orders import (
    IdempotencyConflict,
    IdempotencyPending,
    InvalidOrder,
    NoEligibleProvider,
    OrderError,
    ServiceNotFound,
)
from gateway.routing import Excluded, Exclusion, Quote
from gateway.store import GatewayState, OrderRow
from providers.services import ORDER_FIELDS

# -- expected failures -----------------------------------------------------------------------


@strawberry.interface(description="An expected failure: a message for people, a code for code.")
class UserError:
    message: str = strawberry.field(description="What went wrong, fit to show to a user.")
    code: str = strawberry.field(description="A stable machine-readable code.")


@strawberry.type(description="The input is invalid for this service.")
class ValidationError(UserError):
    field: str | None = strawberry.field(description="The input field at fault, when known.")


@strawberry.type(description="No service or order with this id (for this caller).")
class NotFoundError(UserError):
    id: int = strawberry.field(description="The id asked for.")


@strawberry.type(description="No provider can take the order; `exclusions` says why each can't.")
class NoEligibleProviderError(UserError):
    exclusions: list[QuoteExclusion] = strawberry.field(description="One entry per provider.")


@strawberry.type(
    description=(
        "Every provider able to take the order lacks the funds for it; or, for a client "
        "account, the account's funds do not cover the order."
    )
)
class InsufficientFundsError(UserError):
    failed_order: OrderNode | None = strawberry.field(
        description="The failed order, when providers were tried (none placed it)."
    )
    exclusions: list[QuoteExclusion] = strawberry.field(
        description="Providers left out before trying, with their reason."
    )


@strawberry.type(
    description=(
        "The client account refused the order: ACCOUNT_SUSPENDED, SPEND_CAP_REACHED, or "
        "SERVICE_UNAVAILABLE (not offered to this account now). Nothing was placed."
    )
)
class AccountRefusedError(UserError):
    pass


@strawberry.type(
    description=(
        "The provider's answer was lost: the order may or may not exist there. It is kept "
        "as UNCONFIRMED and never sent elsewhere; follow it with `order` or `orderUpdated`."
    )
)
class AmbiguousOrderError(UserError):
    order: OrderNode = strawberry.field(description="The unconfirmed order.")


@strawberry.type(description="Every provider tried refused the order; none placed it.")
class PlacementFailedError(UserError):
    order: OrderNode = strawberry.field(description="The failed order, with its error.")


@strawberry.type(
    description=(
        "The idempotency key was used for another request, or its first use is still running."
    )
)
class IdempotencyError(UserError):
    pass


@strawberry.type(description="The provider refused to refill or cancel this order.")
class ActionRefusedError(UserError):
    order: OrderNode = strawberry.field(description="The order, as it stands.")


@strawberry.type(description="Only an UNCONFIRMED order can be resolved; this one is not (now).")
class NotUnconfirmedError(UserError):
    order: OrderNode = strawberry.field(description="The order, as it stands.")


@strawberry.type(description="Only an UNCONFIRMED refill can be resolved; this one is not (now).")
class NotUnconfirmedRefillError(UserError):
    refill: RefillNode = strawberry.field(description="The refill, as it stands.")


# -- successes -------------------------------------------------------------------------------


@strawberry.type(description="The order was accepted by a provider.")
class PlaceOrderSuccess:
    order: OrderNode = strawberry.field(description="The order, as recorded.")


@strawberry.type(description="A refill was requested.")
class RefillRequested:
    order: OrderNode = strawberry.field(description="The order refilled.")
    refill: RefillNode | None = strawberry.field(description="The refill recorded.")


@strawberry.type(description="A cancel was requested; the provider decides, then refunds.")
class CancelRequested:
    order: OrderNode = strawberry.field(description="The order, as it stands.")


@strawberry.type(
    description="The unconfirmed order was resolved, with a history entry and an event."
)
class ResolveOrderSuccess:
    order: OrderNode = strawberry.field(
        description="PENDING (the gateway now follows it at its provider) or FAILED."
    )
    resolved_by: str = strawberry.field(description="Who resolved it, as its history records.")


@strawberry.type(description="An UNCONFIRMED refill was resolved.")
class ResolveRefillSuccess:
    refill: RefillNode = strawberry.field(
        description="PENDING (the gateway now follows it at its provider) or FAILED (the order "
        "may be refilled again)."
    )
    resolved_by: str = strawberry.field(description="Who resolved it, as its history records.")


QuoteResult = Annotated[
    QuoteNode | ValidationError | NotFoundError | AccountRefusedError,
    strawberry.union("QuoteResult", description="A quote, or why none can be made."),
]
PlaceOrderResult = Annotated[
    PlaceOrderSuccess
    | ValidationError
    | NotFoundError
    | NoEligibleProviderError
    | InsufficientFundsError
    | AmbiguousOrderError
    | PlacementFailedError
    | IdempotencyError
    | AccountRefusedError,
    strawberry.union("PlaceOrderResult", description="The order placed, or why it was not."),
]
RefillOrderResult = Annotated[
    RefillRequested | NotFoundError | ActionRefusedError,
    strawberry.union("RefillOrderResult", description="One order's refill outcome."),
]
CancelOrderResult = Annotated[
    CancelRequested | NotFoundError | ActionRefusedError,
    strawberry.union("CancelOrderResult", description="One order's cancel outcome."),
]

ResolveOrderResult = Annotated[
    ResolveOrderSuccess | NotFoundError | NotUnconfirmedError | ValidationError,
    strawberry.union("ResolveOrderResult", description="The order resolved, or why it was not."),
]

ResolveRefillResult = Annotated[
    ResolveRefillSuccess | NotFoundError | NotUnconfirmedRefillError | ValidationError,
    strawberry.union("ResolveRefillResult", description="The refill resolved, or why it was not."),
]


@strawberry.type(description="The outcome for each order id, in the order given.")
class RefillOrdersPayload:
    results: list[RefillOrderResult] = strawberry.field(description="One per id.")


@strawberry.type(description="The outcome for each order id, in the order given.")
class CancelOrdersPayload:
    results: list[CancelOrderResult] = strawberry.field(description="One per id.")


@strawberry.type(description="How the catalog sync went.")
class SyncCatalogPayload:
    providers: list[ProviderSync] = strawberry.field(description="One entry per provider.")
    service_count: int = strawberry.field(description="Unified services in the new catalog.")


# -- mapping the core's outcomes -------------------------------------------------------------


def schema_names(names: Iterable[str]) -> Callable[[str], str]:
    """A rewriter of text that names the fields `names` as Python does (``answer_number``)
    to name them as the schema does (``answerNumber``: Strawberry's own conversion)."""
    found = re.compile(r"\b(" + "|".join(n for n in names if "_" in n) + r")\b")
    return lambda text: found.sub(lambda m: to_camel_case(m[1]), text)


_ORDER_NAMES = schema_names(ORDER_FIELDS)


def invalid_order(exc: InvalidOrder) -> ValidationError:
    """The refusal of an order's fields, naming them as `OrderDetailsInput` does: the core
    says ``answer_number``, as /api/v2 takes it, where GraphQL says ``answerNumber``."""
    message = _ORDER_NAMES(exc.message)
    field = getattr(exc, "field", None)  # the input at fault, when the error knows it
    return ValidationError(message=message, code=exc.code, field=field)


NO_PROVIDER_FUNDS = "no provider has the funds for this order"


def shown_exclusions(decision: Quote, operator: bool) -> list[Excluded]:
    """The providers left out of `decision` that the caller is told of: a client (not
    `operator`) is not told which its account's margin ruled out."""
    return [e for e in decision.excluded if operator or e.reason is not Exclusion.MARGIN_BREACHED]


def lacking_funds(excluded: Sequence[Excluded]) -> bool:
    """Whether the only reason no provider can take an order is that none has the funds."""
    return {e.reason for e in excluded} == {Exclusion.INSUFFICIENT_BALANCE}


def quote_refusal(decision: Quote, refusal: str | None, *, operator: bool) -> str | None:
    """Placement's `refusal` of a quoted order as `placeOrder` words it (`order_error`)."""
    if refusal is not None and lacking_funds(shown_exclusions(decision, operator)):
        return NO_PROVIDER_FUNDS
    return refusal


def order_error(exc: OrderError, *, service_id: int, operator: bool = True) -> PlaceOrderResult:
    """The union member for an `OrderError` raised by quoting or placing; a client (not
    `operator`) is not told which providers its account's margin ruled out."""
    if isinstance(exc, ServiceNotFound):
        return NotFoundError(message=exc.message, code=exc.code, id=service_id)
    if isinstance(exc, InvalidOrder):
        return invalid_order(exc)
    if isinstance(exc, IdempotencyConflict | IdempotencyPending):
        return IdempotencyError(message=exc.message, code=exc.code)
    if isinstance(exc, InsufficientFunds):  # the account's funds, not a provider's
        return InsufficientFundsError(
            message=exc.message, code=exc.code, failed_order=None, exclusions=[]
        )
    if isinstance(exc, AccountRefused):
        return AccountRefusedError(message=exc.message, code=exc.code)
    if isinstance(exc, NoEligibleProvider):
        excluded = shown_exclusions(exc.quote, operator)
        exclusions = [QuoteExclusion.of(e) for e in excluded]
        if lacking_funds(excluded):
            return InsufficientFundsError(
                message=NO_PROVIDER_FUNDS, code="INSUFFICIENT_FUNDS", failed_order=None,
                exclusions=exclusions,
            )  # fmt: skip
        return NoEligibleProviderError(message=exc.message, code=exc.code, exclusions=exclusions)
    return ValidationError(message=exc.message, code=exc.code, field=None)


def placed(row: OrderRow) -> PlaceOrderResult:
    """The union member for the row `Orders.place` returned."""
    order = OrderNode.of(row)
    if row.state == GatewayState.UNCONFIRMED:
        message = "the provider's answer was lost; the order may exist there"
        return AmbiguousOrderError(message=message, code="AMBIGUOUS", order=order)
    if row.state == GatewayState.FAILED:
        errors = {a.get("error") for a in row.attempts}
        if errors == {"InsufficientFunds"}:
            return InsufficientFundsError(
                message="no provider had the funds for this order",
                code="INSUFFICIENT_FUNDS", failed_order=order, exclusions=[],
            )  # fmt: skip
        message = row.error or "no provider placed the order"
        return PlacementFailedError(message=message, code="PLACEMENT_FAILED", order=order)
    return PlaceOrderSuccess(order=order)
