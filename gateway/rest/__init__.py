"""REST faces: the v2-compatible endpoint, webhook management, health and metrics.

::

    routes = gateway.rest.routes(settings)     # mounted by gateway.app
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from gateway.config import Settings
from gateway.rest.health import healthz, metrics_endpoint, readyz
from gateway.rest.openapi import PATH as OPENAPI_PATH
from gateway.rest.openapi import openapi_endpoint
from gateway.rest.v2 import v2_endpoint
from gateway.rest.webhooks import webhook_routes

V2_METHODS = ["GET", "POST"]
DIRECT_PATHS = ("/api/v2", "/api/v2/")
"""The v2 endpoint's paths, whose GET and POST requests skip Starlette's stack (`app_dispatch`)."""

__all__ = ["routes"]


def routes(settings: Settings) -> list[BaseRoute]:
    """The REST routes."""
    api_v2 = v2_endpoint(settings)
    return [
        # Both spellings: a redirect from one to the other would lose a POST's body.
        *(Route(path, api_v2, methods=V2_METHODS) for path in DIRECT_PATHS),
        *webhook_routes(settings),
        Route(OPENAPI_PATH, openapi_endpoint, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
