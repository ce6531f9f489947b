"""The Starlette application: the gateway's faces over one running core.

::

    uvicorn --factory gateway.app:app_from_environment
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from gateway import console, graphql, heap, logs, rest
from gateway.app_dispatch import GatewayApp
from gateway.auth import Authenticator
from gateway.config import Settings, load_config
from gateway.context import AppContext
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.graphql.view import graphiql_assets
from gateway.ratelimit import RateLimiter
from gateway.rest.method_errors import method_not_allowed
from gateway.workers import inprocess as workers

log = logging.getLogger(__name__)


def face_routes(settings: Settings) -> list[BaseRoute]:
    """Every face's routes: GraphQL, the v2-compatible REST endpoint, webhooks, health (and
    GraphiQL's assets, served from the package).

    The busiest paths come first (``/graphql``, then ``/api/v2``): Starlette tries routes in
    order, and no other route claims their paths."""
    assets = graphiql_assets(graphql.GraphQLOptions.from_settings(settings))
    return [*graphql.routes(settings), *rest.routes(settings), *assets, *console.routes(settings)]


def create_app(
    settings: Settings,
    *,
    gateway: Gateway | None = None,
    background: bool = True,
    extra_routes: Sequence[BaseRoute] = (),
    settle_heap: bool = False,
) -> Starlette:
    """The app for `settings`; pass `gateway` to serve an already open core (tests, demo).

    With `background` (and ``[workers] in_process``, the default), the workers' jobs run in this
    process; every instance listens for events either way. `settle_heap`: once started, set the
    garbage collector for a serving process (`gateway.heap`).
    """

    logs.install()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        core = gateway or await Gateway.open(settings)
        bus = EventBus()
        limiter = RateLimiter.for_settings(settings)
        app.state.context = AppContext(settings, core, Authenticator(core.store), bus, limiter)
        try:
            run_jobs = background and settings.workers.in_process
            async with workers.background(core, bus, run_jobs=run_jobs):
                if settle_heap:
                    heap.settle()
                yield
        finally:
            await limiter.aclose()
            if gateway is None:
                await core.aclose()

    graphql_path = graphql.GraphQLOptions.from_settings(settings).path
    return GatewayApp(
        routes=[*face_routes(settings), *extra_routes],
        direct_paths=(*rest.DIRECT_PATHS, graphql_path),
        lifespan=lifespan,
        # Every face answers a wrong method in its own JSON shape, not Starlette's plain text.
        exception_handlers={405: method_not_allowed},
    )


def app_from_environment() -> Starlette:
    """An app configured from ``SMM_GATEWAY_CONFIG`` (a TOML file) and the environment."""
    import os

    return create_app(load_config(os.environ.get("SMM_GATEWAY_CONFIG")), settle_heap=True)
