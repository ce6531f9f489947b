"""What the REST faces keep per running app: options, the rate limiter, the endpoint manager.

Made on the first request (the app's lifespan belongs to `gateway.app`), kept on
``app.state.rest``, and closed by `gateway.rest.aclose(app)` at shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from gateway.config import Settings
from gateway.context import AppContext, app_context
from gateway.ratelimit import LimitOptions, RateLimiter
from gateway.webhooks import EndpointManager, WebhookOptions


@dataclass
class RestState:
    settings: Settings
    limits: LimitOptions
    limiter: RateLimiter
    webhooks: WebhookOptions
    endpoints: EndpointManager

    async def aclose(self) -> None:
        """Nothing of its own to release: the limiter belongs to the app's context."""


def _build(context: AppContext, settings: Settings) -> RestState:
    webhooks = WebhookOptions.from_settings(settings)
    return RestState(
        settings=settings,
        limits=LimitOptions.from_settings(settings),
        limiter=context.limiter,
        webhooks=webhooks,
        endpoints=EndpointManager(context.gateway.store, webhooks),
    )


def rest_state(connection: HTTPConnection, settings: Settings) -> tuple[AppContext, RestState]:
    """The running gateway and the REST state of the app serving `connection`."""
    context = app_context(connection)
    state = getattr(connection.app.state, "rest", None)
    if not isinstance(state, RestState):
        # Built synchronously, so two first requests cannot race into two limiters.
        state = _build(context, settings)
        connection.app.state.rest = state
    return context, state


async def aclose(app: ASGIApp) -> None:
    """Release what the REST faces hold (the rate limiter's Redis pool); call at shutdown."""
    state = getattr(getattr(app, "state", None), "rest", None)
    if isinstance(state, RestState):
        await state.aclose()
        del app.state.rest  # type: ignore[attr-defined]
