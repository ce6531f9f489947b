"""Per-key request limits on /graphql: the budget /api/v2 spends too, answered GraphQL's way.

A refused request gets HTTP 429 with ``Retry-After`` and a GraphQL error whose code is
``RATE_LIMITED``; WebSocket subscriptions are limited per connection by the schema instead.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import metrics
from gateway.auth import bearer_token
from gateway.context import client_address, header, scope_context

PRINCIPAL = "gateway.principal"
"""Where the caller (a `Principal`, or None) is left in the ASGI scope for the endpoint."""


class GraphQLRateLimit:
    """ASGI middleware in front of the GraphQL HTTP endpoint."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        context = scope_context(scope)
        token = bearer_token(header(scope, b"authorization"))
        principal = await context.auth.authenticate(token)
        scope[PRINCIPAL] = principal  # the endpoint's caller: looked up once per request
        decision = await context.limiter.check(principal, client_address(scope))
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        metrics.RATE_LIMITED.labels("graphql").inc()
        retry_after = str(int(decision.retry_after + 0.999))
        message = f"Rate limit exceeded. Max {decision.limit} requests per {decision.per}."
        error = {"message": message, "extensions": {"code": "RATE_LIMITED"}}
        response = JSONResponse(
            {"data": None, "errors": [error]}, status_code=429, headers={"Retry-After": retry_after}
        )
        await response(scope, receive, send)
