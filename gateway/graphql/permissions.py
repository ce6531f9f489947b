"""Scopes per field: ``read`` to browse, ``order`` to place, refill and cancel, ``ops`` to see the
providers behind the catalog (names, balances, health, wholesale costs, routing candidates),
``admin`` for all.

::

    @field("Place an order.", permission_classes=[RequireOrder])
    async def place_order(...) -> ...

    provider: str | None = strawberry.field(description="...", permission_classes=OPERATOR)

A field an operator scope guards is nullable: a client key that selects it gets ``null`` there
and a FORBIDDEN error naming the field, while the rest of its answer stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission

from gateway.auth import Scope

if TYPE_CHECKING:  # the context module imports the types that use these permissions
    from gateway.graphql.context import Info

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


def _key_sent(info: Info) -> bool:
    """Whether the caller presented a key at all (a header, or a connection_init payload)."""
    params = info.context.connection_params or {}
    return bool(
        info.context.request.headers.get("authorization")
        or params.get("Authorization")
        or params.get("authorization")
    )


class _RequireScope(BasePermission):
    scope: ClassVar[Scope]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            # Raised here rather than via on_unauthorized: the instance is shared by every
            # request, so it cannot remember which of the two failures happened.
            raise StrawberryGraphQLError(
                "invalid API key"
                if _key_sent(info)
                # Unquoted: the echo shortening (`shorten_echoes`) would cut a quoted header.
                else "an API key is required: send the header Authorization: Bearer YOUR_KEY",
                extensions={"code": UNAUTHENTICATED},
            )
        return principal.can(self.scope)

    def on_unauthorized(self) -> None:
        raise StrawberryGraphQLError(
            f"this API key lacks the '{self.scope.value}' scope",
            extensions={"code": FORBIDDEN, "scope": self.scope.value},
        )


class RequireRead(_RequireScope):
    """Any valid key."""

    scope = Scope.READ


class RequireOrder(_RequireScope):
    """Keys with the ``order`` (or ``admin``) scope."""

    scope = Scope.ORDER


class RequireOps(_RequireScope):
    """Operator keys: ``ops`` (read-only) or ``admin``."""

    scope = Scope.OPS


class RequireOpsOrAccount(RequireOps):
    """Operator keys, or a client account's key, which reads the account's side of the field
    (what it is charged) where operators read the provider's."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return super().has_permission(source, info, **kwargs) or info.context.account is not None


OPERATOR: list[type[BasePermission]] = [RequireOps]
"""For fields about the providers behind the catalog."""


class RequireAdmin(_RequireScope):
    """Keys with the ``admin`` scope."""

    scope = Scope.ADMIN
