"""What can be tuned about the GraphQL face, read from the settings' ``[api]`` section.

::

    [api]
    cors_origins = ["https://app.example.com"]
    graphiql = false          # the in-browser IDE at GET /graphql
    introspection = false     # schema introspection queries
    anonymous_introspection = false   # introspection and suggestions without a key
    graphql_max_cost = 20000          # the static cost one operation may have
    graphql_cost_budget = "200000/minute"   # cost executed per key

The defaults are development-friendly: IDE and introspection on, no cross-origin browsers.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import Settings


@dataclass(frozen=True, slots=True)
class GraphQLOptions:
    """Switches and limits of the GraphQL endpoint."""

    path: str = "/graphql"
    cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the API (``"*"`` for any); also WebSocket origins."""
    graphiql: bool = True
    introspection: bool = True
    max_depth: int = 12
    max_tokens: int = 3000
    max_aliases: int = 20
    parser_cache_size: int = 512
    validation_cache_size: int = 512
    max_subscriptions_per_connection: int = 20
    response_cache_ttl: float = 300.0
    """Seconds a catalog response stays cached; a catalog sync invalidates it sooner."""
    max_body_bytes: int = 1024 * 1024
    """The largest request body read; a bigger one is refused with 413."""
    max_batch_ids: int = 100
    """Most order ids one mutation or subscription may name."""
    anonymous_introspection: bool = False
    """Introspection and field suggestions for callers without a valid key."""
    max_cost: int = 20_000
    """The largest static cost (see `gateway.graphql.cost`) of one operation."""
    cost_budget: str = "200000/minute"
    """GraphQL cost each key (or address, without a key) may have executed, `limits` notation."""
    list_size: int = 10
    """The size assumed for a list with neither a slicing argument nor a bound of its own."""
    heavy_cost: int = 1000
    """Operations of at least this cost wait for one of `heavy_concurrency` places per process."""
    heavy_concurrency: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphQLOptions:
        """The options of the configuration's ``[api]`` section."""
        api = settings.api
        return cls(
            cors_origins=tuple(api.cors_origins),
            graphiql=api.graphiql,
            introspection=api.introspection,
            max_depth=api.graphql_max_depth,
            max_tokens=api.graphql_max_tokens,
            max_aliases=api.graphql_max_aliases,
            response_cache_ttl=api.response_cache_ttl,
            max_body_bytes=settings.limits.max_body_bytes,
            anonymous_introspection=api.anonymous_introspection,
            max_cost=api.graphql_max_cost,
            cost_budget=api.graphql_cost_budget,
            list_size=api.graphql_list_size,
            heavy_cost=api.graphql_heavy_cost,
            heavy_concurrency=api.graphql_heavy_concurrency,
        )
