"""`GatewayApp`: Starlette, with the busiest endpoint that needs nothing of Starlette's stack
handed its requests straight.

Starlette passes every request through its error middleware, its exception middleware and its
route table before an endpoint sees it: a few microseconds a request, a sizeable share of a
``services`` call answered from kept bytes (`gateway.rest.v2_fast`). That endpoint answers
every outcome in the v2 shape itself and reads nothing the stack sets but ``scope["app"]``, so
a request its route would take (its path, a method the route allows) goes to it directly.
Every other request, and every method the route would refuse, goes through Starlette as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

DIRECT_PATHS = ("/api/v2", "/api/v2/")
DIRECT_METHODS = frozenset({"GET", "POST"})


def _route_path(scope: Scope) -> str:
    """The path as Starlette's router matches it (without the app's root path)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


class GatewayApp(Starlette):
    """Starlette whose ``DIRECT_PATHS`` routes get their requests without the stack in front."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._direct: Mapping[str, ASGIApp] = {
            route.path: route.app
            for route in self.router.routes
            if isinstance(route, Route)
            and route.path in DIRECT_PATHS
            and route.methods is not None
            and route.methods >= DIRECT_METHODS
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in DIRECT_METHODS:
            endpoint = self._direct.get(_route_path(scope))
            if endpoint is not None:
                scope["app"] = self
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
