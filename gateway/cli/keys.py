"""``smm-gateway keys``: the gateway's own API keys, straight on the store."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from gateway.auth import parse_scopes
from gateway.cli.common import ConfigOption, JsonOption
from gateway.cli.output import console, emit, emit_one
from gateway.config import load_config
from gateway.store import Store

app = typer.Typer(help="Create, list and revoke the gateway's API keys.", no_args_is_help=True)


async def _store(config: ConfigOption) -> Store:
    store = await Store.connect(load_config(config).gateway.database_url)
    await store.migrate()
    return store


@app.command()
def create(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[list[str], typer.Option(help="read, order or admin; repeatable.")],
    client: Annotated[str | None, typer.Option(help="Client id (default: the name).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key; its secret is shown this once and stored only as a hash."""
    parse_scopes(scope)  # reject unknown scopes before touching the store

    async def run() -> dict[str, object]:
        async with await _store(config) as store:
            row, secret = await store.create_api_key(name, client or name, scope)
        return {
            "id": row.id,
            "name": row.name,
            "client": row.client_id,
            "scopes": ",".join(row.scopes),
            "key": secret,
        }

    created = asyncio.run(run())
    emit_one(created, as_json=as_json)
    if not as_json:
        console.print("Keep the key now: it cannot be shown again.")


@app.command("list")
def list_keys(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every key, without secrets."""

    async def run() -> list[dict[str, object]]:
        async with await _store(config) as store:
            rows = await store.list_api_keys()
        return [
            {
                "id": r.id,
                "name": r.name,
                "prefix": r.prefix,
                "client": r.client_id,
                "scopes": ",".join(r.scopes),
                "created": r.created_at,
                "last_used": r.last_used_at,
                "revoked": r.revoked_at,
            }
            for r in rows
        ]

    emit(asyncio.run(run()), as_json=as_json, title="API keys")


@app.command()
def revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id.")], config: ConfigOption = None
) -> None:
    """Revoke a key; it stops working at once here, within 30 s on running instances."""

    async def run() -> bool:
        async with await _store(config) as store:
            return await store.revoke_api_key(key_id)

    if not asyncio.run(run()):
        raise typer.BadParameter(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")
