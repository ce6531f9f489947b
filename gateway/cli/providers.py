"""The providers behind the catalog and where an order would go: ``providers [--quality]`` and
``quote`` with each candidate's quality and why it ranked where it did (a configuration's, or
a running gateway's with ``--url``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import typer

from gateway.cli.choices import MAX_ID, id_argument
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
from gateway.policies import parse_policy
from gateway.routing import Quote

QualityOption = Annotated[
    bool,
    typer.Option("--quality", help="Each provider's delivery figures with their samples instead."),
]
PolicyOption = Annotated[
    str | None,
    typer.Option(
        help="Rank by this routing policy: cheapest, best_value or fastest (default: the "
        "gateway's)."
    ),
]


def register(app: typer.Typer) -> None:
    app.command()(providers)
    # "-5" reaches QUANTITY, to be refused as a quantity rather than told "No such option".
    app.command(context_settings={"ignore_unknown_options": True})(quote)


PROVIDERS_QUERY = """{ providers { name health cooldownSeconds consecutiveFailures lastError
  serviceCount syncedAt balance { balance { amount currency } low error } } }"""
QUALITY_QUERY = "{ providers { name quality { " + QUALITY_SELECTION + " } } }"


def providers(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
    quality: QualityOption = False,
) -> None:
    """Each provider: health, cooldown, balance, catalog; --quality: how it delivered.

    A running gateway's with --url; --quality shows each figure with the orders it was measured
    on, no value below the minimum sample.
    """
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
                "services": p["serviceCount"], "synced": p.get("syncedAt"),
            })  # fmt: skip
        emit(rows, as_json=as_json, title="Providers")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        money = {b.provider: b for b in (await gw.balances.fetch()).providers}
        snapshot = await gw.catalog.snapshot()
        synced = await gw.catalog.synced_at()
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
                "synced": when.isoformat() if (when := synced.get(name)) else None,
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
QUOTE_QUERY = """query($service: Int!, $quantity: BigInt, $link: String,
                      $policy: RoutingPolicy) {
  quote(serviceId: $service, quantity: $quantity, link: $link, policy: $policy) { __typename
    ... on Quote { policy policySource
                   candidates { rank provider cost { amount currency }
                                offer { providerServiceId } quality { QUALITY }
                                expectedCostPerDeliveredUnit { amount }
                                expectedCost { amount } expectedSeconds reason explored }
                   excluded { provider message detail offer { providerServiceId } } }
    ... on UserError { message } } }""".replace("QUALITY", QUALITY_SELECTION)


@dataclass(frozen=True, slots=True)
class _Ranked:
    """One candidate as a quote's table shows it."""

    rank: int
    provider: str
    service: str
    cost: Decimal
    currency: str
    per_delivered_unit: Decimal | None
    expected_cost: Decimal | None
    expected_seconds: Decimal | None
    reason: str
    explored: bool
    quality: dict[str, Any]

    def row(self, first: Decimal) -> dict[str, Any]:
        return {
            "rank": self.rank, "provider": self.provider, "service": self.service,
            "cost": self.cost, "currency": self.currency,
            "per_delivered_unit": self.per_delivered_unit, "expected_cost": self.expected_cost,
            "expected_s": self.expected_seconds,
            **{name: self.quality[name] for name in CANDIDATE_FIGURES},
            "explored": self.explored,
            "why": self.reason or _why(self.rank, self.cost, first, self.currency),
            "excluded": None,
        }  # fmt: skip


def _why(rank: int, cost: Decimal, first: Decimal, currency: str) -> str:
    """Why a candidate of a cheapest-first quote ranked where it did (when the quote has no
    policy's own reasons)."""
    if rank == 1:
        return "lowest quoted cost"
    if cost == first:
        return "same cost as #1; ties go by provider priority, then name"
    return f"quoted cost {cost:f}, {cost - first:f} {currency} above the lowest"


def _excluded(provider: str, service: str, reason: str) -> dict[str, Any]:
    return {"rank": None, "provider": provider, "service": service, "cost": None,
            "currency": None, "per_delivered_unit": None, "expected_cost": None,
            "expected_s": None, **dict.fromkeys(CANDIDATE_FIGURES), "explored": None,
            "why": None, "excluded": reason}  # fmt: skip


def _rows(ranked: list[_Ranked], excluded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first = ranked[0].cost if ranked else Decimal(0)
    return [*(r.row(first) for r in ranked), *excluded]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _remote_quote(
    url: str, key: str, service: int, quantity: int, link: str, policy: str | None
) -> tuple[str, list[dict[str, Any]]]:
    variables = {"service": service, "quantity": str(quantity), "link": link,
                 "policy": None if policy is None else policy.upper()}  # fmt: skip
    answer = graphql(url, key, QUOTE_QUERY, variables)["quote"]
    if answer["__typename"] != "Quote":
        raise RemoteError(answer.get("message") or answer["__typename"])
    ranked = [
        _Ranked(
            rank=c["rank"], provider=c["provider"], service=c["offer"]["providerServiceId"],
            cost=Decimal(c["cost"]["amount"]), currency=c["cost"]["currency"],
            per_delivered_unit=_decimal((c["expectedCostPerDeliveredUnit"] or {}).get("amount")),
            expected_cost=_decimal((c["expectedCost"] or {}).get("amount")),
            expected_seconds=_decimal(c["expectedSeconds"]), reason=c["reason"] or "",
            explored=c["explored"], quality=from_graphql(c["provider"], c["quality"]),
        )
        for c in answer["candidates"]
    ]  # fmt: skip
    excluded = [
        _excluded(e["provider"], e["offer"]["providerServiceId"],
                  f"{e['message']} {e.get('detail') or ''}".strip())
        for e in answer["excluded"]
    ]  # fmt: skip
    policy = f"{answer['policy'].lower()}, from {answer['policySource']}"
    return policy, _rows(ranked, excluded)


async def _local_quote(
    gw: Gateway, service: int, quantity: int, link: str, policy: str | None
) -> tuple[str, list[dict[str, Any]]]:
    fields = {"link": link, "quantity": quantity}
    decision: Quote = await gw.quote(service, fields, policy=policy)
    report = await gw.quality.report()
    ranked = []
    for n, c in enumerate(decision.candidates, 1):
        e = c.estimate
        quality = report.service(*c.offer.key)
        ranked.append(
            _Ranked(
                rank=n, provider=c.offer.provider, service=c.offer.service.id,
                cost=c.cost.amount, currency=c.cost.currency,
                per_delivered_unit=None if e is None else e.cost_per_delivered_unit,
                expected_cost=None if e is None else e.expected_cost.amount,
                expected_seconds=None if e is None else e.expected_seconds,
                reason=c.reason, explored=c.explored,
                quality=from_quality(quality, report.min_sample),
            )
        )  # fmt: skip
    excluded = [
        _excluded(e.offer.provider, e.offer.service.id, f"{e.reason.value} {e.detail}".strip())
        for e in decision.excluded
    ]
    return f"{decision.policy}, from {decision.policy_source}", _rows(ranked, excluded)


def quote(
    service: Annotated[int, id_argument("Service (group) id.")],
    quantity: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="How many.")],
    link: Annotated[str, typer.Option(help="The target link.")] = "https://example.com/x",
    policy: PolicyOption = None,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Where an order would go: each candidate's cost, quality, expectations and rank reason.

    Each candidate with how it has delivered, what it is expected to cost per delivered unit and
    in all, its expected time and why it ranked there under the policy; the providers that
    cannot take the order, with why.
    """
    asked = None if policy is None else parse_policy(policy).value
    if url:
        used, rows = _remote_quote(url, key, service, quantity, link, asked)
    else:
        used, rows = with_gateway(
            config, lambda gw: _local_quote(gw, service, quantity, link, asked)
        )
    if not as_json:
        rows = [
            {k: cell(k, v) if k in CANDIDATE_FIGURES and v is not None else v
             for k, v in row.items()}
            for row in rows
        ]  # fmt: skip
    emit(rows, as_json=as_json, title=f"Quote for service {service} (policy {used})")
