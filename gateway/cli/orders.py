"""Orders from the command line: list, show, refill and cancel (``smm-gateway orders``), and
the ambiguous ones: orders (`gateway.cli.unconfirmed`) and refills
(`gateway.cli.unconfirmed_refills`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gateway.cli import orders_remote, unconfirmed, unconfirmed_refills
from gateway.cli.choices import State, id_argument, limit_option
from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import emit, emit_one, refused
from gateway.cli.remote import KeyOption, RemoteUrlOption
from gateway.core import Gateway
from gateway.store import OrderRow

orders_app = typer.Typer(help="List, show, refill and cancel orders.", no_args_is_help=True)


def _order_row(row: OrderRow) -> dict[str, Any]:
    """An order's columns. `price` is what the order costs the client that placed it (a client
    account's price in the account's currency, else the quote in the base currency), `cost` what
    the provider charged for it in its own currency, once it says: as GraphQL's ``cost`` and
    ``charge`` give them to an operator. A part or run of a split or drip-fed order names its
    client order (`parent`) and has no price of its own."""
    account = row.client_price is not None
    part = row.parent_id is not None  # its client order (`parent`) carries the price
    cost_currency = row.charge_currency or row.provider_currency
    return {
        "id": row.id, "client": row.client_id, "service": row.group_id, "parent": row.parent_id,
        "state": row.state, "status": row.status_raw, "provider": row.provider,
        "price": None if part else row.client_price if account else row.quoted_cost,
        "price_currency": None if part else row.client_currency if account else row.currency,
        "cost": row.charge, "cost_currency": None if row.charge is None else cost_currency,
        "remains": row.remains, "created": row.created_at, "error": row.error,
    }  # fmt: skip


@orders_app.command("list")
def orders_list(
    client: Annotated[str | None, typer.Option(help="Only this client's orders.")] = None,
    state: Annotated[
        list[State] | None,
        typer.Option(case_sensitive=False, metavar="STATE", help="Only these states (repeatable)."),
    ] = None,
    limit: Annotated[int, limit_option("orders, newest first")] = 50,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Orders, newest first."""
    if url:
        filters = {"clientId": client, "statuses": [s.value for s in state] if state else None}
        emit(orders_remote.orders(url, key, filters, limit), as_json=as_json, title="Orders")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        states = {s.value for s in state} if state else None
        return [_order_row(r) for r in await gw.store.list_orders(client, states, None, limit)]

    emit(with_gateway(config, work), as_json=as_json, title="Orders")


orders_app.command("unconfirmed")(unconfirmed.orders_unconfirmed)
orders_app.command("resolve")(unconfirmed.orders_resolve)
orders_app.command("unconfirmed-refills")(unconfirmed_refills.orders_unconfirmed_refills)
orders_app.command("resolve-refill")(unconfirmed_refills.orders_resolve_refill)


@orders_app.command("show")
def orders_show(
    order_id: Annotated[int, id_argument()],
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """One order as the ledger has it (a stale one is polled next by the status sync), with
    its history."""
    if url:
        emit_one(orders_remote.order(url, key, order_id), as_json=as_json)
        return

    async def work(gw: Gateway) -> dict[str, Any]:
        [outcome] = await gw.orders.status([order_id], None)
        if outcome.order is None:
            raise ValueError(f"no order {order_id}")  # as a running gateway says it
        events = await gw.store.order_events(order_id)
        history = [f"{e.at:%Y-%m-%d %H:%M:%S} {e.kind} {e.to_state or ''}" for e in events]
        order = outcome.order
        return orders_remote.shown(_order_row(order), order.provider_order_id, history)

    emit_one(with_gateway(config, work), as_json=as_json)


@orders_app.command("refill")
def orders_refill(
    order_ids: Annotated[list[int], id_argument()],
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Request refills."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        return [
            {
                "order": o.order_id,
                "refill": o.refill.id if o.refill else None,
                "state": o.refill.state if o.refill else None,
                "error": o.error,
            }
            for o in await gw.orders.refill(order_ids, None)
        ]

    rows = orders_remote.refill(url, key, order_ids) if url else with_gateway(config, work)
    _requested(rows, as_json=as_json, title="Refills")


@orders_app.command("cancel")
def orders_cancel(
    order_ids: Annotated[list[int], id_argument()],
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Request cancellation ("requested", not yet refunded)."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        return [
            {"order": o.order_id, "requested": o.error is None, "error": o.error}
            for o in await gw.orders.cancel(order_ids, None)
        ]

    rows = orders_remote.cancel(url, key, order_ids) if url else with_gateway(config, work)
    _requested(rows, as_json=as_json, title="Cancels")


def _requested(rows: list[dict[str, Any]], *, as_json: bool, title: str) -> None:
    """Print each order's outcome; exit 1 when any order's request was refused."""
    emit(rows, as_json=as_json, title=title)
    refused(sum(1 for r in rows if r["error"]), len(rows), "orders refused")
