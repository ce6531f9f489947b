"""What the REST faces keep per running app: options, the endpoint manager and the rendered
``services`` answers.

Made on the first request (the app's lifespan belongs to `gateway.app`) and kept on
``app.state.rest``; the rate limiter lives on the app's context, shared with /graphql.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from gateway.config import Settings
from gateway.context import AppContext, scope_context
from gateway.ratelimit import LimitOptions
from gateway.rest.v2_services import ServicesCache
from gateway.webhooks import EndpointManager, WebhookOptions


@dataclass
class RestState:
    settings: Settings
    limits: LimitOptions
    webhooks: WebhookOptions
    endpoints: EndpointManager
    services: ServicesCache
    """The rendered ``/api/v2 services`` answers of this app."""


def _build(context: AppContext, settings: Settings) -> RestState:
    webhooks = WebhookOptions.from_settings(settings)
    return RestState(
        settings=settings,
        limits=LimitOptions.from_settings(settings),
        webhooks=webhooks,
        endpoints=EndpointManager(context.gateway.store, webhooks),
        services=ServicesCache(),
    )


def rest_state(connection: HTTPConnection, settings: Settings) -> tuple[AppContext, RestState]:
    """The running gateway and the REST state of the app serving `connection`."""
    context = scope_context(connection.scope)
    kept = getattr(connection.app.state, "_state", None)  # `State`'s own mapping: no miss
    state = kept.get("rest") if isinstance(kept, dict) else None
    if not isinstance(state, RestState):
        # Built synchronously, so two first requests cannot race into two states.
        state = _build(context, settings)
        connection.app.state.rest = state
    return context, state
