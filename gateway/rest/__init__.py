"""REST faces: the v2-compatible endpoint, webhook management, health and metrics."""

from starlette.routing import BaseRoute

from gateway.config import Settings


def routes(settings: Settings) -> list[BaseRoute]:
    """The REST routes."""
    return []
