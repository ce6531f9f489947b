"""What can be tuned about the GraphQL face, read from the settings' ``[api]`` section.

::

    [api]
    cors_origins = ["https://app.example.com"]
    graphiql = false          # the in-browser IDE at GET /graphql
    introspection = false     # schema introspection queries

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
    max_body_bytes: int = 64 * 1024
    """The largest request body read; a bigger one is refused with 413."""
    max_batch_ids: int = 100
    """Most order ids one mutation or subscription may name."""

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
        )
