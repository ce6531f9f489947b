"""The providers behind the catalog and where an order would go: ``providers [--quality]`` and
``quote`` with each candidate's quality and why it ranked where it did (a configuration's, or
a running gateway's with ``--url``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import emit
from gateway.cli.quality_shape import (
    FIGURES,
    QUALITY_SELECTION,
    cell,
    from_graphql,
    from_quality,
    table_row,
)
from gateway.cli.remote import KeyOption, RemoteError, RemoteUrlOption, graphql
from gateway.core import Gateway
from gateway.routing import Quote

QualityOption = Annotated[
    bool,
    typer.Option("--quality", help="Each provider's delivery figures with their samples instead."),
]


def register(app: typer.Typer) -> None:
    app.command()(providers)
    app.command()(quote)


PROVIDERS_QUERY = """{ providers { name health cooldownSeconds consecutiveFailures lastError
  serviceCount lastSync { ok } balance { balance { amount currency } low error } } }"""
QUALITY_QUERY = "{ providers { name quality { " + QUALITY_SELECTION + " } } }"


def providers(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
    quality: QualityOption = False,
) -> None:
    """Each provider: health, cooldown, balance and catalog, or with --quality how it delivered
    (a running gateway's, with --url)."""
    if quality:
        _quality(config, url, key, as_json)
        return
    if url:
        rows = []
        for p in graphql(url, key, PROVIDERS_QUERY)["providers"]:
            money = (p.get("balance") or {}).get("balance") or {}
            rows.append({
                "provider": p["name"], "health": p["health"],
                "cooldown_s": round(p["cooldownSeconds"], 1),
                "balance": money.get("amount"), "currency": money.get("currency"),
                "low": (p.get("balance") or {}).get("low"),
                "error": p.get("lastError") or (p.get("balance") or {}).get("error"),
                "services": p["serviceCount"], "synced": (p.get("lastSync") or {}).get("ok"),
            })  # fmt: skip
        emit(rows, as_json=as_json, title="Providers")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        money = {b.provider: b for b in (await gw.balances.fetch()).providers}
        snapshot = await gw.catalog.snapshot()
        rows = []
        for name in gw.providers:
            health = gw.health.report(name)
            balance = money[name]
            rows.append({
                "provider": name,
                "health": health.state.value,
                "cooldown_s": round(health.cooldown_remaining, 1),
                "balance": balance.balance.amount if balance.balance else None,
                "currency": balance.balance.currency if balance.balance else None,
                "low": balance.low,
                "error": balance.error,
                "services": sum(1 for o in snapshot.offers.values() if o.provider == name),
                "synced": gw.catalog.last_sync[name].ok if name in gw.catalog.last_sync else None,
            })  # fmt: skip
        return rows

    emit(with_gateway(config, work), as_json=as_json, title="Providers")


def _quality(config: Any, url: str | None, key: str, as_json: bool) -> None:
    if url:
        found = graphql(url, key, QUALITY_QUERY)["providers"]
        rows = [from_graphql(p["name"], p["quality"]) for p in found]
    else:

        async def work(gw: Gateway) -> list[dict[str, Any]]:
            report = await gw.quality.report(fresh=True)
            return [from_quality(report.provider(n), report.min_sample) for n in gw.providers]

        rows = with_gateway(config, work)
    if as_json:
        emit(rows, as_json=True)
        return
    window = ""
    if rows:
        window = f", last {rows[0]['days']} days, figures from {rows[0]['min_sample']} orders"
    columns = ["provider", "orders", *FIGURES, "refills_requested"]
    emit([table_row(r) for r in rows], as_json=False, title=f"Provider quality{window}",
         columns=columns)  # fmt: skip


CANDIDATE_FIGURES = (
    "completion_rate", "delivered_fraction", "start_seconds", "complete_seconds_per_1000",
)  # fmt: skip
"""The figures a quote shows beside each candidate."""
QUOTE_QUERY = """query($service: Int!, $quantity: BigInt, $link: String) {
  quote(serviceId: $service, quantity: $quantity, link: $link) { __typename
    ... on Quote { candidates { rank provider cost { amount currency }
                                offer { providerServiceId } quality { QUALITY } }
                   excluded { provider message detail offer { providerServiceId } } }
    ... on UserError { message } } }""".replace("QUALITY", QUALITY_SELECTION)


def _why(rank: int, cost: Decimal, first: Decimal, currency: str) -> str:
    """Why a candidate of a cheapest-first quote ranked where it did."""
    if rank == 1:
        return "lowest cost"
    if cost == first:
        return "same cost as #1; ties go by provider priority, then name"
    return f"{cost - first:f} {currency} more than #1"


def _candidate(rank: int, provider: str, service: str, cost: Decimal, currency: str,
               first: Decimal, quality: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    return {
        "rank": rank, "provider": provider, "service": service, "cost": cost,
        "currency": currency, **{name: quality[name] for name in CANDIDATE_FIGURES},
        "why": _why(rank, cost, first, currency), "excluded": None,
    }  # fmt: skip


def _excluded(provider: str, service: str, reason: str) -> dict[str, Any]:
    return {"rank": None, "provider": provider, "service": service, "cost": None,
            "currency": None, **dict.fromkeys(CANDIDATE_FIGURES), "why": None,
            "excluded": reason}  # fmt: skip


def _remote_quote(url: str, key: str, service: int, quantity: int, link: str) -> list[Any]:
    variables = {"service": service, "quantity": str(quantity), "link": link}
    answer = graphql(url, key, QUOTE_QUERY, variables)["quote"]
    if answer["__typename"] != "Quote":
        raise RemoteError(answer.get("message") or answer["__typename"])
    candidates = answer["candidates"]
    first = Decimal(candidates[0]["cost"]["amount"]) if candidates else Decimal(0)
    rows = [
        _candidate(c["rank"], c["provider"], c["offer"]["providerServiceId"],
                   Decimal(c["cost"]["amount"]), c["cost"]["currency"], first,
                   from_graphql(c["provider"], c["quality"]))
        for c in candidates
    ]  # fmt: skip
    rows += [
        _excluded(e["provider"], e["offer"]["providerServiceId"],
                  f"{e['message']} {e.get('detail') or ''}".strip())
        for e in answer["excluded"]
    ]  # fmt: skip
    return rows


async def _local_quote(gw: Gateway, service: int, quantity: int, link: str) -> list[Any]:
    decision: Quote = await gw.quote(service, {"link": link, "quantity": quantity})
    report = await gw.quality.report()
    first = decision.chosen.cost.amount if decision.chosen else Decimal(0)
    rows = [
        _candidate(n, c.offer.provider, c.offer.service.id, c.cost.amount, c.cost.currency,
                   first, from_quality(report.service(c.offer.provider, c.offer.service.id),
                                       report.min_sample))
        for n, c in enumerate(decision.candidates, 1)
    ]  # fmt: skip
    rows += [
        _excluded(e.offer.provider, e.offer.service.id, f"{e.reason.value} {e.detail}".strip())
        for e in decision.excluded
    ]
    return rows


def quote(
    service: Annotated[int, typer.Argument(help="Service (group) id.")],
    quantity: Annotated[int, typer.Argument(help="How many.")],
    link: Annotated[str, typer.Option(help="The target link.")] = "https://example.com/x",
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Which provider would take the order, at what cost, how each candidate has delivered and
    why it ranked there, and why the others could not take it."""
    if url:
        rows = _remote_quote(url, key, service, quantity, link)
    else:
        rows = with_gateway(config, lambda gw: _local_quote(gw, service, quantity, link))
    if not as_json:
        rows = [
            {k: cell(k, v) if k in CANDIDATE_FIGURES and v is not None else v
             for k, v in row.items()}
            for row in rows
        ]  # fmt: skip
    emit(rows, as_json=as_json, title=f"Quote for service {service}")
