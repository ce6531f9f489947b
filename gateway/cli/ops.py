"""Operator commands on a configuration: balances, services, orders, catalog (providers and
quotes: `gateway.cli.providers`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.progress import Progress

from gateway.catalog import Group
from gateway.cli import unconfirmed
from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import console, emit, emit_one
from gateway.cli.remote import KeyOption, RemoteUrlOption, graphql
from gateway.core import Gateway
from gateway.store import OrderRow

orders_app = typer.Typer(help="List, show, refill and cancel orders.", no_args_is_help=True)
services_app = typer.Typer(help="The unified catalog.", no_args_is_help=True)
catalog_app = typer.Typer(help="Sync the catalog and read its price changes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(balances)
    app.add_typer(services_app, name="services")
    app.add_typer(orders_app, name="orders")
    app.add_typer(catalog_app, name="catalog")


BALANCES_QUERY = """{ balances { total { amount currency } providers { provider
  balance { amount currency } baseBalance { amount } fetchedAt error } } }"""


def _remote_balances(url: str, key: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    found = graphql(url, key, BALANCES_QUERY)["balances"]
    rows = [
        {
            "provider": b["provider"],
            "balance": (b.get("balance") or {}).get("amount"),
            "currency": (b.get("balance") or {}).get("currency"),
            "in_base": (b.get("baseBalance") or {}).get("amount"),
            "fetched": b.get("fetchedAt"),
            "error": b.get("error"),
        }
        for b in found["providers"]
    ]
    return rows, {"total": found["total"]["amount"], "currency": found["total"]["currency"]}


def balances(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Every provider's balance, converted and totalled (a running gateway's, with --url)."""

    async def work(gw: Gateway) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        found = await gw.balances.fetch(fresh=True)
        rows = [
            {
                "provider": b.provider,
                "balance": b.balance.amount if b.balance else None,
                "currency": b.balance.currency if b.balance else None,
                "in_base": b.base.amount if b.base else None,
                "fetched": b.fetched_at,
                "error": b.error,
            }
            for b in found.providers
        ]
        return rows, {"total": found.total.amount, "currency": found.total.currency}

    rows, total = _remote_balances(url, key) if url else with_gateway(config, work)
    if as_json:
        emit([*rows, total], as_json=True)
        return
    emit(rows, as_json=False, title="Balances")
    console.print(f"total: {total['total']} {total['currency']}")


def _group_row(group: Group) -> dict[str, Any]:
    c = group.classification
    return {
        "id": group.id, "name": group.name,
        "platform": c.platform.value if c else None, "metric": c.metric.value if c else None,
        "type": group.type.value, "rate": group.cheapest.rate,
        "providers": ",".join(sorted(group.providers)), "min": group.min, "max": group.max,
    }  # fmt: skip


SERVICES_QUERY = """query($filter: ServiceFilter, $first: Int) {
  services(filter: $filter, first: $first) { nodes { id name platform metric type
    rate { amount } min max members { provider } } } }"""


@services_app.command("search")
def services_search(
    text: Annotated[str, typer.Argument(help="Words to find in service names.")] = "",
    platform: Annotated[str | None, typer.Option(help="e.g. instagram, tiktok.")] = None,
    metric: Annotated[str | None, typer.Option(help="e.g. followers, likes, views.")] = None,
    max_rate: Annotated[str | None, typer.Option(help="Cheapest rate at most (per 1000).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many groups.")] = 50,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Service groups with their cheapest rate in the base currency and their providers."""
    words = text.lower().split()
    cap = Decimal(max_rate) if max_rate else None
    if url:
        filters: dict[str, Any] = {"search": text or None, "maxRate": max_rate,
                                   "platform": platform and platform.upper(),
                                   "metric": metric and metric.upper()}  # fmt: skip
        found = graphql(url, key, SERVICES_QUERY, {"filter": filters, "first": limit})
        rows = [
            {
                "id": g["id"],
                "name": g["name"],
                "platform": g["platform"].lower(),
                "metric": g["metric"].lower(),
                "type": g["type"],
                "rate": g["rate"]["amount"],
                "providers": ",".join(sorted({m["provider"] for m in g["members"]})),
                "min": g["min"],
                "max": g["max"],
            }
            for g in found["services"]["nodes"]
        ]
        emit(rows, as_json=as_json, title="Services")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        found = []
        for group in sorted((await gw.catalog.snapshot()).groups.values(), key=lambda g: g.id):
            c = group.classification
            if words and not all(w in group.name.lower() for w in words):
                continue
            if platform and (c is None or c.platform.value != platform.lower()):
                continue
            if metric and (c is None or c.metric.value != metric.lower()):
                continue
            if cap is not None and group.cheapest.rate > cap:
                continue
            found.append(_group_row(group))
            if len(found) >= limit:
                break
        return found

    emit(with_gateway(config, work), as_json=as_json, title="Services")


def _order_row(row: OrderRow) -> dict[str, Any]:
    return {
        "id": row.id, "client": row.client_id, "service": row.group_id, "state": row.state,
        "status": row.status_raw, "provider": row.provider, "cost": row.quoted_cost,
        "charge": row.charge, "remains": row.remains, "created": row.created_at,
        "error": row.error,
    }  # fmt: skip


ORDERS_QUERY = """query($filter: OrderFilter, $first: Int) {
  orders(filter: $filter, first: $first) { nodes { id clientId serviceId status statusRaw
    provider cost { amount } charge { amount } remains createdAt error } } }"""


@orders_app.command("list")
def orders_list(
    client: Annotated[str | None, typer.Option(help="Only this client's orders.")] = None,
    state: Annotated[list[str] | None, typer.Option(help="Only these states.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Orders, newest first."""
    if url:
        filters = {"clientId": client, "statuses": [s.upper() for s in state] if state else None}
        found = graphql(url, key, ORDERS_QUERY, {"filter": filters, "first": limit})
        rows = [
            {
                "id": o["id"],
                "client": o["clientId"],
                "service": o["serviceId"],
                "state": o["status"],
                "status": o["statusRaw"],
                "provider": o["provider"],
                "cost": (o.get("cost") or {}).get("amount"),
                "charge": (o.get("charge") or {}).get("amount"),
                "remains": o["remains"],
                "created": o["createdAt"],
                "error": o["error"],
            }
            for o in found["orders"]["nodes"]
        ]
        emit(rows, as_json=as_json, title="Orders")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        states = {s.upper() for s in state} if state else None
        return [_order_row(r) for r in await gw.store.list_orders(client, states, None, limit)]

    emit(with_gateway(config, work), as_json=as_json, title="Orders")


orders_app.command("unconfirmed")(unconfirmed.orders_unconfirmed)
orders_app.command("resolve")(unconfirmed.orders_resolve)


@orders_app.command("show")
def orders_show(
    order_id: Annotated[int, typer.Argument()],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """One order as the ledger has it (a stale one is polled next by the status sync), with
    its history."""

    async def work(gw: Gateway) -> dict[str, Any]:
        [outcome] = await gw.orders.status([order_id], None)
        if outcome.order is None:
            raise typer.BadParameter(f"no order {order_id}")
        history = await gw.store.order_events(order_id)
        return {
            **_order_row(outcome.order),
            "history": [
                f"{e.at:%Y-%m-%d %H:%M:%S} {e.kind} {e.to_state or ''}".strip() for e in history
            ],
        }

    emit_one(with_gateway(config, work), as_json=as_json)


@orders_app.command("refill")
def orders_refill(
    order_ids: Annotated[list[int], typer.Argument()],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Request refills."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        return [
            {"order": o.order_id, "refill": o.refill.id if o.refill else None, "error": o.error}
            for o in await gw.orders.refill(order_ids, None)
        ]

    emit(with_gateway(config, work), as_json=as_json, title="Refills")


@orders_app.command("cancel")
def orders_cancel(
    order_ids: Annotated[list[int], typer.Argument()],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Request cancellation ("requested", not yet refunded)."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        return [
            {"order": o.order_id, "requested": o.error is None, "error": o.error}
            for o in await gw.orders.cancel(order_ids, None)
        ]

    emit(with_gateway(config, work), as_json=as_json, title="Cancels")


@catalog_app.command("sync")
def catalog_sync(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Fetch every provider's services now, with a progress line per provider."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        with Progress(console=console, transient=True, disable=as_json) as progress:
            tasks = {n: progress.add_task(f"syncing {n}", total=1) for n in gw.providers}
            results = []
            for name in gw.providers:
                [result] = await gw.catalog.sync([name])
                progress.update(tasks[name], completed=1)
                results.append(result)
        return [
            {
                "provider": r.provider,
                "ok": r.ok,
                "services": r.services,
                "added": r.added,
                "changed": r.changed,
                "removed": r.removed,
                "seconds": round(r.seconds, 2),
                "error": r.error,
            }
            for r in results
        ]

    emit(with_gateway(config, work), as_json=as_json, title="Catalog sync")


@catalog_app.command("changes")
def catalog_changes(
    days: Annotated[float, typer.Option(help="How far back.")] = 7,
    limit: Annotated[int, typer.Option()] = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Price changes recorded by syncs: services added, re-priced or removed."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        since = datetime.now(UTC) - timedelta(days=days)
        return [{"at": c.at, "provider": c.provider, "service": c.provider_service_id,
                 "kind": str(c.kind), "old": c.old_rate, "new": c.new_rate,
                 "currency": c.currency} for c in await gw.store.price_changes(since, None, limit)
                ]  # fmt: skip

    emit(with_gateway(config, work), as_json=as_json, title="Price changes")
