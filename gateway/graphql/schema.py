"""The schema: the three roots, the custom scalars, and the limits every request runs under."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from gateway.graphql.masking import MaskUnexpectedErrors
from gateway.graphql.mutations import Mutation
from gateway.graphql.options import GraphQLOptions
from gateway.graphql.queries import Query
from gateway.graphql.scalars import SCALARS
from gateway.graphql.subscriptions import Subscription


def extensions(options: GraphQLOptions) -> list[Callable[[], SchemaExtension]]:
    """Factories of the per-request extensions (Strawberry makes one of each per request; the
    parser and validation caches themselves are shared and bounded)."""
    found: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=options.max_tokens),
        lambda: QueryDepthLimiter(max_depth=options.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=options.max_aliases),
        lambda: ParserCache(maxsize=options.parser_cache_size),
        lambda: ValidationCache(maxsize=options.validation_cache_size),
        MaskUnexpectedErrors,
    ]
    if not options.introspection:
        found.append(DisableIntrospection)
    return found


def build_schema(options: GraphQLOptions | None = None) -> strawberry.Schema:
    """The gateway's schema under `options` (limits, introspection); the SDL never varies."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(options or GraphQLOptions()),
        config=StrawberryConfig(scalar_map=SCALARS),
    )
