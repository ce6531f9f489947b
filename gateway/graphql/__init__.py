"""The GraphQL API at ``/graphql``: queries and mutations over HTTP, subscriptions over
WebSocket (graphql-transport-ws), GraphiQL for humans when enabled.

Modules: `schema` (roots and limits), `queries`, `mutations`, `subscriptions` (resolvers),
`catalog_types`, `order_types`, `provider_types`, `payloads`, `inputs`, `enums`, `scalars`
(types), `pagination` (connections), `permissions` (scopes), `loaders` (DataLoaders),
`catalog_view` (per-snapshot indexes), `response_cache`, `masking`, `errors`, `context`,
`view` (the ASGI endpoint), `options` (the ``[api]`` settings), `export` (the SDL).
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from gateway.config import Settings
from gateway.graphql.options import GraphQLOptions
from gateway.graphql.ratelimit import GraphQLRateLimit
from gateway.graphql.schema import build_schema
from gateway.graphql.view import REQUEST_ID_HEADER, GraphQLEndpoint

__all__ = ["GraphQLEndpoint", "GraphQLOptions", "build_schema", "routes"]


def routes(settings: Settings, options: GraphQLOptions | None = None) -> list[BaseRoute]:
    """The GraphQL routes: HTTP (behind CORS when origins are configured) and WebSocket."""
    options = options or GraphQLOptions.from_settings(settings)
    endpoint = GraphQLEndpoint(build_schema(options), options)
    http: ASGIApp = GraphQLRateLimit(endpoint)
    if options.cors_origins:
        # Outermost, so that even a refused request carries the CORS headers a browser needs.
        http = CORSMiddleware(
            http,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
            max_age=600,
        )
    return [
        Route(options.path, http, methods=["GET", "POST", "OPTIONS"]),
        WebSocketRoute(options.path, endpoint),
    ]
