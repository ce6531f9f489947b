"""The gateway's own API keys over GraphQL (admin): ``apiKeys``, ``createApiKey``,
``revokeApiKey``. A new key's secret is in the create answer only; the store keeps a hash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gateway.auth import parse_scopes
from gateway.graphql.context import Info
from gateway.graphql.fields import field, mutation
from gateway.graphql.payloads import NotFoundError, ValidationError
from gateway.graphql.permissions import RequireAdmin
from gateway.store import ApiKeyRow

MAX_NAME = 100


@strawberry.type(description="One of the gateway's API keys, without its secret.")
class ApiKeyNode:
    id: int = strawberry.field(description="The key's id (for revokeApiKey).")
    name: str = strawberry.field(description="What the key is for.")
    prefix: str = strawberry.field(description="The first characters of the secret.")
    client_id: str = strawberry.field(description="The client whose orders the key reaches.")
    scopes: list[str] = strawberry.field(description="read, order, ops or admin.")
    created_at: datetime = strawberry.field(description="When it was made.")
    last_used_at: datetime | None = strawberry.field(description="When it was last presented.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKeyNode:
        return cls(
            id=row.id, name=row.name, prefix=row.prefix, client_id=row.client_id,
            scopes=list(row.scopes), created_at=row.created_at, last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )  # fmt: skip


@strawberry.type(description="The key was made; its secret is shown this once.")
class CreateApiKeySuccess:
    api_key: ApiKeyNode = strawberry.field(description="The key, as stored.")
    secret: str = strawberry.field(description="The key itself: keep it now, it is not stored.")


@strawberry.type(description="The key was revoked: it stops working within 30 s everywhere.")
class RevokeApiKeySuccess:
    api_key: ApiKeyNode = strawberry.field(description="The key, as stored.")


CreateApiKeyResult = Annotated[
    CreateApiKeySuccess | ValidationError,
    strawberry.union("CreateApiKeyResult", description="The key made, or why it was not."),
]
RevokeApiKeyResult = Annotated[
    RevokeApiKeySuccess | NotFoundError,
    strawberry.union("RevokeApiKeyResult", description="The key revoked, or why it was not."),
]


@strawberry.type(description="The gateway's API keys (admin).")
class ApiKeyQueries:
    @field("Every API key, without secrets (admin).", permission_classes=[RequireAdmin])
    async def api_keys(self, info: Info) -> list[ApiKeyNode]:
        return [ApiKeyNode.of(r) for r in await info.context.gateway.store.list_api_keys()]


@strawberry.type(description="Making and revoking the gateway's API keys (admin).")
class ApiKeyMutations:
    @mutation(
        "Make an API key (admin): `scopes` are read, order, ops or admin (order and ops imply "
        "read, admin implies all); `clientId` defaults to the name. The secret is in the "
        "answer only.",
        permission_classes=[RequireAdmin],
    )
    async def create_api_key(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="What the key is for.")],
        scopes: Annotated[list[str], strawberry.argument(description="read, order, ops or admin.")],
        client_id: Annotated[
            str | None, strawberry.argument(description="The client (default: the name).")
        ] = None,
    ) -> CreateApiKeyResult:
        name = name.strip()
        if not 0 < len(name) <= MAX_NAME:
            return ValidationError(
                message=f"name must have 1 to {MAX_NAME} characters", code="INVALID_NAME",
                field="name",
            )  # fmt: skip
        try:
            if not parse_scopes(scopes):
                raise ValueError("give at least one scope: read, order, ops or admin")
        except ValueError as exc:
            return ValidationError(message=str(exc), code="INVALID_SCOPE", field="scopes")
        client = (client_id or name).strip()
        if not 0 < len(client) <= MAX_NAME:
            return ValidationError(
                message=f"clientId must have 1 to {MAX_NAME} characters", code="INVALID_CLIENT",
                field="clientId",
            )  # fmt: skip
        wanted = sorted({s.strip().lower() for s in scopes})
        row, secret = await info.context.gateway.store.create_api_key(name, client, wanted)
        return CreateApiKeySuccess(api_key=ApiKeyNode.of(row), secret=secret)

    @mutation(
        "Revoke an API key (admin); it stops working at once here, within 30 s elsewhere.",
        permission_classes=[RequireAdmin],
    )
    async def revoke_api_key(
        self, info: Info, id: Annotated[int, strawberry.argument(description="The key's id.")]
    ) -> RevokeApiKeyResult:
        store = info.context.gateway.store
        if not await store.revoke_api_key(id):
            return NotFoundError(message=f"no active key {id}", code="KEY_NOT_FOUND", id=id)
        info.context.app.auth.forget()
        [row] = [r for r in await store.list_api_keys() if r.id == id]
        return RevokeApiKeySuccess(api_key=ApiKeyNode.of(row))
