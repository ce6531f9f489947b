"""`GatewayApp`: Starlette, with the busiest endpoints, which need nothing of Starlette's
stack, handed their requests straight.

Starlette passes every request through its error middleware, its exception middleware and its
route table before an endpoint sees it: about 10 us a request, a sizeable share of a call
answered from kept bytes (``/api/v2 services``: `gateway.rest.v2_fast`; a cached GraphQL page).
Those endpoints answer every outcome in their own shape (v2 ``{"error": ...}``, GraphQL
errors) and read nothing the stack sets but ``scope["app"]``, so a request their route would
take (its path, GET or POST, both allowed by the route) goes to them directly. Every other
request, and every method a route would refuse or answer otherwise (``OPTIONS``, ``HEAD``),
goes through Starlette as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

DIRECT_METHODS = frozenset({"GET", "POST"})


def _route_path(scope: Scope) -> str:
    """The path as Starlette's router matches it (without the app's root path)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


class GatewayApp(Starlette):
    """Starlette whose routes at `direct_paths` get their GET and POST requests without the
    stack in front (a path's route must allow both)."""

    def __init__(self, *args: Any, direct_paths: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        paths = set(direct_paths)
        self._direct: Mapping[str, ASGIApp] = {
            route.path: route.app
            for route in self.router.routes
            if isinstance(route, Route)
            and route.path in paths
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
