"""The unified catalog from the command line: search its service groups
(``smm-gateway services``), sync it and read its price changes (``smm-gateway catalog``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.progress import Progress

from gateway.catalog import Group
from gateway.classification import Metric, Platform
from gateway.cli.amounts import limit_amount
from gateway.cli.choices import days_option, limit_option
from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import console, emit, refused
from gateway.cli.remote import KeyOption, RemoteUrlOption, graphql
from gateway.core import Gateway

services_app = typer.Typer(help="The unified catalog.", no_args_is_help=True)
catalog_app = typer.Typer(help="Sync the catalog and read its price changes.", no_args_is_help=True)


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
    platform: Annotated[
        Platform | None,
        typer.Option(case_sensitive=False, metavar="PLATFORM", help="e.g. instagram, tiktok."),
    ] = None,
    metric: Annotated[
        Metric | None,
        typer.Option(case_sensitive=False, metavar="METRIC", help="e.g. followers, likes, views."),
    ] = None,
    max_rate: Annotated[
        Decimal | None,
        typer.Option(
            metavar="RATE", parser=limit_amount, help="Cheapest rate at most (per 1000), e.g. 1.5."
        ),
    ] = None,
    limit: Annotated[int, limit_option("groups")] = 50,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Service groups with their cheapest rate in the base currency and their providers."""
    words = text.lower().split()
    if url:
        filters: dict[str, Any] = {
            "search": text or None,
            "maxRate": None if max_rate is None else f"{max_rate:f}",
            "platform": platform and platform.name,
            "metric": metric and metric.name,
        }
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
            if platform and (c is None or c.platform != platform):
                continue
            if metric and (c is None or c.metric != metric):
                continue
            if max_rate is not None and group.cheapest.rate > max_rate:
                continue
            found.append(_group_row(group))
            if len(found) >= limit:
                break
        return found

    emit(with_gateway(config, work), as_json=as_json, title="Services")


SYNC_MUTATION = """mutation { syncCatalog { providers {
  provider ok services added changed removed seconds error } } }"""
CHANGES_QUERY = """query($since: DateTime, $first: Int) {
  priceChanges(since: $since, first: $first) {
    nodes { at provider providerServiceId kind oldRate newRate currency } } }"""


@catalog_app.command("sync")
def catalog_sync(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Fetch every provider's services now, with a progress line per provider (one line per
    provider when the sync runs in a gateway at --url)."""

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        # Only for a person at a terminal: piped, it would leave a blank line before the table.
        shown = console.is_terminal and not as_json
        with Progress(console=console, transient=True, disable=not shown) as progress:
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

    if url:
        synced = graphql(url, key, SYNC_MUTATION)["syncCatalog"]["providers"]
        rows = [{**r, "seconds": round(r["seconds"], 2)} for r in synced]
    else:
        rows = with_gateway(config, work)
    emit(rows, as_json=as_json, title="Catalog sync")
    failed = [r["provider"] for r in rows if not r["ok"]]
    refused(len(failed), len(rows), f"providers failed to sync ({', '.join(failed)})")


@catalog_app.command("changes")
def catalog_changes(
    days: Annotated[float, days_option("the list")] = 7,
    limit: Annotated[int, limit_option("changes, newest first")] = 100,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Price changes recorded by syncs: services added, re-priced or removed."""
    if url:
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
        found = graphql(url, key, CHANGES_QUERY, {"since": since, "first": limit})
        rows = [{"at": c["at"], "provider": c["provider"], "service": c["providerServiceId"],
                 "kind": c["kind"].lower(), "old": c["oldRate"], "new": c["newRate"],
                 "currency": c["currency"]} for c in found["priceChanges"]["nodes"]]  # fmt: skip
        emit(rows, as_json=as_json, title="Price changes")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        since = datetime.now(UTC) - timedelta(days=days)
        return [{"at": c.at, "provider": c.provider, "service": c.provider_service_id,
                 "kind": str(c.kind), "old": c.old_rate, "new": c.new_rate,
                 "currency": c.currency} for c in await gw.store.price_changes(since, None, limit)
                ]  # fmt: skip

    emit(with_gateway(config, work), as_json=as_json, title="Price changes")
