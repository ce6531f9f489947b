"""Typed decorators for resolvers.

``@strawberry.field(description=...)`` is typed as returning ``Any``, which strict mypy reports
as an untyped decorator; these wrap the same calls with the resolver's own type::

    @field("The caller's orders.", permission_classes=[RequireRead])
    async def orders(self, info: Info) -> ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission

F = TypeVar("F", bound=Callable[..., Any])
Permissions = Sequence[type[BasePermission]]


def field(description: str, *, permission_classes: Permissions = ()) -> Callable[[F], F]:
    """A query or type field resolved by the decorated method."""

    def wrap(resolver: F) -> F:
        made = strawberry.field(
            resolver, description=description, permission_classes=list(permission_classes)
        )
        return cast(F, made)

    return wrap


def mutation(description: str, *, permission_classes: Permissions = ()) -> Callable[[F], F]:
    """A mutation resolved by the decorated method."""

    def wrap(resolver: F) -> F:
        made = strawberry.mutation(
            resolver, description=description, permission_classes=list(permission_classes)
        )
        return cast(F, made)

    return wrap


def subscription(description: str, *, permission_classes: Permissions = ()) -> Callable[[F], F]:
    """A subscription resolved by the decorated async generator."""

    def wrap(resolver: F) -> F:
        made = strawberry.subscription(
            resolver, description=description, permission_classes=list(permission_classes)
        )
        return cast(F, made)

    return wrap
