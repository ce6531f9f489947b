"""What every face of the gateway (GraphQL, REST, webhooks) works with, kept on the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.types import Scope

from gateway.account_reads import AccountReads
from gateway.auth import Authenticator
from gateway.config import Settings
from gateway.core import Gateway
from gateway.event_bus import EventBus
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
    accounts: AccountReads = field(init=False)
    """Client account rows as of each request, one read shared by the requests that wait."""

    def __post_init__(self) -> None:
        self.accounts = AccountReads(self.gateway.store)


def app_context(connection: HTTPConnection) -> AppContext:
    """The context of the app serving `connection` (a request or a WebSocket)."""
    return scope_context(connection.scope)


def scope_context(scope: Scope) -> AppContext:
    """The context of the app serving the ASGI `scope` (no `Request` made for it)."""
    # The state's own mapping: `State` attribute access goes through a failed lookup first.
    state = getattr(scope["app"].state, "_state", None)
    context = state.get("context") if isinstance(state, dict) else None
    if not isinstance(context, AppContext):
        raise RuntimeError("the gateway is not running (lifespan not started)")
    return context


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower case, as ASGI servers give names) of `scope`,
    as `Request.headers` would read it."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def client_address(scope: Scope) -> str:
    """The caller's address, as `Request.client.host` gives it; ``unknown`` without one."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
