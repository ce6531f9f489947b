"""The GraphQL API at ``/graphql``."""

from starlette.routing import BaseRoute

from gateway.config import Settings


def routes(settings: Settings) -> list[BaseRoute]:
    """The GraphQL routes."""
    return []
