"""Operator commands on a configuration: balances, services, orders, catalog, added to the
command line by `register`. Balances are here; services and catalog in `gateway.cli.catalog`,
orders in `gateway.cli.orders` (providers and quotes: `gateway.cli.providers`)."""

from __future__ import annotations

from typing import Any

import typer

from gateway.cli.catalog import catalog_app, services_app
from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.orders import orders_app
from gateway.cli.output import console, emit
from gateway.cli.remote import KeyOption, RemoteUrlOption, graphql
from gateway.core import Gateway


def register(app: typer.Typer) -> None:
    """Add ``balances``, ``services``, ``orders`` and ``catalog`` to `app`."""
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
