"""The schema: the three roots, the custom scalars, and the limits every request runs under."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from gateway.graphql.compiled import CompiledExecutionContext
from gateway.graphql.compiled_compare import ComparingExecutionContext, compare_mode
from gateway.graphql.demand import DemandControl, DemandLimits
from gateway.graphql.limits import KeylessCallers, alias_limit, depth_limit
from gateway.graphql.masking import MaskUnexpectedErrors
from gateway.graphql.mutations import Mutation
from gateway.graphql.operation_choice import OperationChoice
from gateway.graphql.options import GraphQLOptions
from gateway.graphql.queries import Query
from gateway.graphql.scalars import SCALARS
from gateway.graphql.subscriptions import Subscription


def extensions(options: GraphQLOptions) -> list[Callable[[], SchemaExtension]]:
    """Factories of the per-request extensions (Strawberry makes one of each per request; the
    parser and validation caches themselves are shared and bounded)."""
    # The rules are made once: the validation cache is keyed by them (a rule class made per
    # request, as `MaxAliasesLimiter` makes one, would miss it every time).
    rules = [depth_limit(options.max_depth), alias_limit(options.max_aliases)]
    demand = DemandLimits(options)
    found: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=options.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=options.parser_cache_size),
        lambda: ValidationCache(maxsize=options.validation_cache_size),
        # After the validation (it refuses a valid document only), before the cost limit.
        OperationChoice,
        MaskUnexpectedErrors,
        lambda: DemandControl(demand),
    ]
    if not options.introspection:
        found.append(DisableIntrospection)
    if not options.anonymous_introspection:
        found.append(KeylessCallers)
    return found


def build_schema(options: GraphQLOptions | None = None) -> strawberry.Schema:
    """The gateway's schema under `options` (limits, introspection); the SDL never varies."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(options or GraphQLOptions()),
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=(
            ComparingExecutionContext if compare_mode() else CompiledExecutionContext
        ),
    )
