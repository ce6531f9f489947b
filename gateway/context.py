"""What every face of the gateway (GraphQL, REST, webhooks) works with, kept on the app."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from gateway.auth import Authenticator
from gateway.config import Settings
from gateway.core import Gateway
from gateway.events import EventBus
from gateway.ratelimit import RateLimiter


@dataclass
class AppContext:
    """The running gateway and its companions, set on ``app.state.context`` by the lifespan."""

    settings: Settings
    gateway: Gateway
    auth: Authenticator
    bus: EventBus
    limiter: RateLimiter
    """Per-key request limits shared by /api/v2 and /graphql (and every instance, via Redis)."""


def app_context(connection: HTTPConnection) -> AppContext:
    """The context of the app serving `connection` (a request or a WebSocket)."""
    context = getattr(connection.app.state, "context", None)
    if not isinstance(context, AppContext):
        raise RuntimeError("the gateway is not running (lifespan not started)")
    return context
