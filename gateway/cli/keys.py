"""``smm-gateway keys``: the gateway's own API keys, on a running gateway (``--url/--key``, an
admin key) or straight on the store of a configuration (``--config``, e.g. the first key)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.auth import Scope, parse_scopes
from gateway.cli.accounts_shape import missing
from gateway.cli.choices import id_argument
from gateway.cli.common import ConfigOption, JsonOption, local_settings
from gateway.cli.ledger import connect_store
from gateway.cli.output import console, emit, emit_one
from gateway.cli.remote import KeyOption, RemoteUrlOption, expect, graphql
from gateway.store import ApiKeyRow, Store

app = typer.Typer(help="Create, list and revoke the gateway's API keys.", no_args_is_help=True)

KEY_FIELDS = "id name prefix clientId scopes createdAt lastUsedAt revokedAt"
CREATE_MUTATION = f"""mutation($name: String!, $scopes: [String!]!, $client: String) {{
  createApiKey(name: $name, scopes: $scopes, clientId: $client) {{ __typename
    ... on CreateApiKeySuccess {{ secret apiKey {{ {KEY_FIELDS} }} }}
    ... on UserError {{ message code }} }} }}"""
CREATE_FOR_ACCOUNT = f"""mutation($name: String!, $scopes: [String!]!, $account: String!) {{
  createApiKey(name: $name, scopes: $scopes, account: $account) {{ __typename
    ... on CreateApiKeySuccess {{ secret apiKey {{ {KEY_FIELDS} }} }}
    ... on UserError {{ message code }} }} }}"""
LIST_QUERY = f"{{ apiKeys {{ {KEY_FIELDS} account }} }}"
REVOKE_MUTATION = """mutation($id: Int!) { revokeApiKey(id: $id) { __typename
  ... on RevokeApiKeySuccess { apiKey { id } } ... on UserError { message code } } }"""


async def _store(config: Path | None) -> Store:
    return await connect_store(local_settings(config).gateway.database_url)


def _row(row: ApiKeyRow, accounts: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "prefix": row.prefix, "client": row.client_id,
        "account": accounts.get(row.account_id) if row.account_id is not None else None,
        "scopes": ",".join(row.scopes), "created": row.created_at,
        "last_used": row.last_used_at, "revoked": row.revoked_at,
    }  # fmt: skip


def _remote_row(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node["id"], "name": node["name"], "prefix": node["prefix"],
        "client": node["clientId"], "account": node["account"],
        "scopes": ",".join(node["scopes"]), "created": node["createdAt"],
        "last_used": node["lastUsedAt"], "revoked": node["revokedAt"],
    }  # fmt: skip


@app.command()
def create(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[list[str], typer.Option(help="read, order, ops or admin; repeatable.")],
    client: Annotated[str | None, typer.Option(help="Client id (default: the name).")] = None,
    account: Annotated[
        str | None,
        typer.Option(
            help="A client account: the key spends its funds at its prices, and its "
            "client id is the account's name."
        ),
    ] = None,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Create a key; its secret is shown this once and stored only as a hash."""
    try:
        scopes = parse_scopes(scope)  # reject unknown scopes before touching the store
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--scope'") from None
    if account is not None:
        account = account.strip()
        if scopes & {Scope.OPS, Scope.ADMIN}:
            raise typer.BadParameter(
                "a key of a client account may only have read or order", param_hint="'--scope'"
            )
        if client is not None and client != account:
            raise typer.BadParameter(
                "an account's keys have its name as client id: give --account or --client, "
                "not both",
                param_hint="'--client'",
            )
    if url:
        if account is None:
            variables = {"name": name, "scopes": scope, "client": client}
            answer = graphql(url, key, CREATE_MUTATION, variables)["createApiKey"]
        else:
            variables = {"name": name, "scopes": scope, "account": account}
            answer = graphql(url, key, CREATE_FOR_ACCOUNT, variables)["createApiKey"]
        made = expect(answer, "CreateApiKeySuccess")
        node = made["apiKey"]
        created: dict[str, Any] = {
            "id": node["id"], "name": node["name"], "client": node["clientId"],
            "scopes": ",".join(node["scopes"]), "key": made["secret"],
        }  # fmt: skip
    else:

        async def run() -> dict[str, Any]:
            async with await _store(config) as store:
                owner = None if account is None else await store.account(account)
                if account is not None and owner is None:
                    raise ValueError(missing(account))
                row, secret = await store.create_api_key(
                    name,
                    owner.name if owner else client or name,
                    scope,
                    account_id=owner.id if owner else None,
                )
            return {
                "id": row.id, "name": row.name, "client": row.client_id,
                "scopes": ",".join(row.scopes), "key": secret,
            }  # fmt: skip

        created = asyncio.run(run())
    if account is not None:
        created = {**created, "account": account}
    emit_one(created, as_json=as_json)
    if not as_json:
        console.print("Keep the key now: it cannot be shown again.")


@app.command("list")
def list_keys(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Every key, without secrets."""
    if url:
        rows = [_remote_row(n) for n in graphql(url, key, LIST_QUERY)["apiKeys"]]
        emit(rows, as_json=as_json, title="API keys")
        return

    async def run() -> list[dict[str, Any]]:
        async with await _store(config) as store:
            accounts = {a.id: a.name for a in await store.list_accounts()}
            return [_row(r, accounts) for r in await store.list_api_keys()]

    emit(asyncio.run(run()), as_json=as_json, title="API keys")


@app.command()
def revoke(
    key_id: Annotated[int, id_argument("The key's id.")],
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
) -> None:
    """Revoke a key; it stops working at once here, within 30 s on running instances."""
    if url:
        expect(graphql(url, key, REVOKE_MUTATION, {"id": key_id})["revokeApiKey"],
               "RevokeApiKeySuccess")  # fmt: skip
    else:

        async def run() -> bool:
            async with await _store(config) as store:
                return await store.revoke_api_key(key_id)

        if not asyncio.run(run()):
            raise ValueError(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")
