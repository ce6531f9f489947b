"""Orders whose placement is ambiguous: list them with what finds them at the panel, and
resolve each once the panel was checked (``orders unconfirmed``, ``orders resolve``)."""

from __future__ import annotations

import getpass
import os
from typing import Annotated, Any

import typer

from gateway.cli.choices import MAX_ROWS, id_argument, limit_option
from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import emit, emit_one
from gateway.cli.remote import KeyOption, RemoteUrlOption, expect, graphql
from gateway.core import Gateway
from gateway.store import GatewayState, OrderRow

UNCONFIRMED_QUERY = """query($first: Int) {
  orders(filter: {statuses: [UNCONFIRMED]}, first: $first) { nodes { id clientId provider
    link quantity createdAt error } } }"""

RESOLVE_MUTATION = """
mutation($id: Int!, $pid: String, $notPlaced: Boolean!, $force: Boolean!) {
  resolveOrder(id: $id, providerOrderId: $pid, notPlaced: $notPlaced, force: $force) {
    __typename
    ... on ResolveOrderSuccess { resolvedBy order { id status provider error } }
    ... on UserError { message code }
  } }"""


def operator() -> str:
    """Who resolves from this command line: ``cli:`` and the OS user."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        name = f"uid-{os.getuid()}"
    return f"cli:{name}"


def _unconfirmed_row(row: OrderRow) -> dict[str, Any]:
    return {
        "id": row.id, "client": row.client_id, "provider": row.provider,
        "link": row.request.get("link"), "quantity": row.request.get("quantity"),
        "created": row.created_at, "error": row.error,
    }  # fmt: skip


def orders_unconfirmed(
    limit: Annotated[int, limit_option("orders, newest first")] = MAX_ROWS,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Orders whose placement is ambiguous, with the provider, link and time to look for in
    the panel's order list; then settle each with `orders resolve`. Never re-sent."""
    if url:
        found = graphql(url, key, UNCONFIRMED_QUERY, {"first": limit})["orders"]["nodes"]
        rows = [
            {
                "id": o["id"], "client": o["clientId"], "provider": o["provider"],
                "link": o["link"], "quantity": o["quantity"], "created": o["createdAt"],
                "error": o["error"],
            }
            for o in found
        ]  # fmt: skip
        emit(rows, as_json=as_json, title="Unconfirmed orders")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        rows = await gw.store.list_orders(None, {GatewayState.UNCONFIRMED.value}, None, limit)
        return [_unconfirmed_row(r) for r in rows]

    emit(with_gateway(config, work), as_json=as_json, title="Unconfirmed orders")


def orders_resolve(
    order_id: Annotated[int, id_argument("The gateway's order id.")],
    provider_order: Annotated[
        str | None,
        typer.Option(
            "--provider-order",
            metavar="PID",
            help="It was placed: its id at the provider, from the panel's order list.",
        ),
    ] = None,
    not_placed: Annotated[
        bool,
        typer.Option("--not-placed", help="The panel has no such order: fail it, nothing charged."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Record --provider-order even if another order has it or the panel cannot "
            "confirm it.",
        ),
    ] = False,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Settle an UNCONFIRMED order once its panel was checked: placed (the gateway then follows
    it) or not placed. Any other order is refused."""
    if (provider_order is not None) == not_placed:
        raise typer.BadParameter("give exactly one of --provider-order PID and --not-placed")
    if url:
        variables = {
            "id": order_id, "pid": provider_order, "notPlaced": not_placed, "force": force
        }  # fmt: skip
        answer = graphql(url, key, RESOLVE_MUTATION, variables)["resolveOrder"]
        resolved = expect(answer, "ResolveOrderSuccess")
        order = resolved["order"]
        emit_one(
            {
                "id": order["id"], "state": order["status"], "provider": order["provider"],
                "provider_order": provider_order, "resolved_by": resolved["resolvedBy"],
                "error": order["error"],
            },
            as_json=as_json,
        )  # fmt: skip
        return

    by = operator()

    async def work(gw: Gateway) -> dict[str, Any]:
        row = await gw.orders.resolve(
            order_id, by=by, provider_order_id=provider_order, not_placed=not_placed, force=force
        )
        return {
            "id": row.id, "state": row.state, "provider": row.provider,
            "provider_order": row.provider_order_id, "resolved_by": by, "error": row.error,
        }  # fmt: skip

    emit_one(with_gateway(config, work), as_json=as_json)
