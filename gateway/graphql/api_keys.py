"""The gateway's own API keys over GraphQL (admin): ``apiKeys``, ``createApiKey``,
``revokeApiKey``. A new key's secret is in the create answer only; the store keeps a hash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gateway.auth import Scope, parse_scopes
from gateway.graphql.account_inputs import AccountNotFoundError
from gateway.graphql.context import Info
from gateway.graphql.fields import field, mutation
from gateway.graphql.payloads import NotFoundError, ValidationError
from gateway.graphql.permissions import RequireAdmin
from gateway.store import AccountRow, ApiKeyRow

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
    account: str | None = strawberry.field(
        description="The client account the key belongs to; null for the operator's own keys."
    )

    @classmethod
    def of(cls, row: ApiKeyRow, account: str | None = None) -> ApiKeyNode:
        return cls(
            id=row.id, name=row.name, prefix=row.prefix, client_id=row.client_id,
            scopes=list(row.scopes), created_at=row.created_at, last_used_at=row.last_used_at,
            revoked_at=row.revoked_at, account=account,
        )  # fmt: skip


@strawberry.type(description="The key was made; its secret is shown this once.")
class CreateApiKeySuccess:
    api_key: ApiKeyNode = strawberry.field(description="The key, as stored.")
    secret: str = strawberry.field(description="The key itself: keep it now, it is not stored.")


@strawberry.type(description="The key was revoked: it stops working within 30 s everywhere.")
class RevokeApiKeySuccess:
    api_key: ApiKeyNode = strawberry.field(description="The key, as stored.")


CreateApiKeyResult = Annotated[
    CreateApiKeySuccess | ValidationError | AccountNotFoundError,
    strawberry.union("CreateApiKeyResult", description="The key made, or why it was not."),
]
RevokeApiKeyResult = Annotated[
    RevokeApiKeySuccess | NotFoundError,
    strawberry.union("RevokeApiKeyResult", description="The key revoked, or why it was not."),
]


def _account_key_refusal(
    owner: AccountRow, scopes: list[str], client_id: str | None
) -> ValidationError | None:
    """Why a key cannot be made for `owner` as asked: operator scopes would show it the
    wholesale side, and its client is the account's name."""
    if parse_scopes(scopes) & {Scope.OPS, Scope.ADMIN}:
        return ValidationError(
            message="a key of a client account may only have read or order",
            code="INVALID_SCOPE", field="scopes",
        )  # fmt: skip
    if client_id is not None and client_id.strip() != owner.name:
        return ValidationError(
            message="a key of a client account has the account's name as its clientId",
            code="INVALID_CLIENT", field="clientId",
        )  # fmt: skip
    return None


@strawberry.type(description="The gateway's API keys (admin).")
class ApiKeyQueries:
    @field("Every API key, without secrets (admin).", permission_classes=[RequireAdmin])
    async def api_keys(self, info: Info) -> list[ApiKeyNode]:
        store = info.context.gateway.store
        names = {a.id: a.name for a in await store.list_accounts()}
        return [
            ApiKeyNode.of(r, names.get(r.account_id) if r.account_id is not None else None)
            for r in await store.list_api_keys()
        ]


@strawberry.type(description="Making and revoking the gateway's API keys (admin).")
class ApiKeyMutations:
    @mutation(
        "Make an API key (admin): `scopes` are read, order, ops or admin (order and ops imply "
        "read, admin implies all); `clientId` defaults to the name. A key of a client "
        "`account` reaches that account's orders and funds (its client is the account's name) "
        "and may only have read or order. The secret is in the answer only.",
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
        account: Annotated[
            str | None,
            strawberry.argument(description="The client account the key belongs to, by name."),
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
        store = info.context.gateway.store
        owner = None
        if account is not None:
            owner = await store.account(account.strip())
            if owner is None:
                return AccountNotFoundError(
                    message=f"no account named {account.strip()!r}", code="ACCOUNT_NOT_FOUND",
                    name=account.strip(),
                )  # fmt: skip
            refused = _account_key_refusal(owner, scopes, client_id)
            if refused is not None:
                return refused
        client = owner.name if owner is not None else (client_id or name).strip()
        if not 0 < len(client) <= MAX_NAME:
            return ValidationError(
                message=f"clientId must have 1 to {MAX_NAME} characters", code="INVALID_CLIENT",
                field="clientId",
            )  # fmt: skip
        wanted = sorted({s.strip().lower() for s in scopes})
        try:
            row, secret = await store.create_api_key(
                name, client, wanted, account_id=owner.id if owner is not None else None
            )
        except ValueError as exc:  # the client id of an account's keys
            return ValidationError(message=str(exc), code="INVALID_CLIENT", field="clientId")
        node = ApiKeyNode.of(row, owner.name if owner is not None else None)
        return CreateApiKeySuccess(api_key=node, secret=secret)

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
