"""Refills whose ask is ambiguous (the panel's answer was lost): list them with what finds them
in the panel's refill list, and settle each once the panel was checked (``orders
unconfirmed-refills``, ``orders resolve-refill``). Their orders are not asked again meanwhile."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gateway.cli.choices import MAX_ROWS, id_argument, limit_option
from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import emit, emit_one
from gateway.cli.remote import KeyOption, RemoteUrlOption, expect, graphql
from gateway.cli.unconfirmed import operator
from gateway.core import Gateway

UNCONFIRMED_REFILLS_QUERY = """query($first: Int) {
  unconfirmedRefills(first: $first) { id orderId provider createdAt error
    order { link history { details } } } }"""

RESOLVE_REFILL_MUTATION = """
mutation($id: Int!, $pid: String, $notMade: Boolean!, $force: Boolean!) {
  resolveRefill(id: $id, providerRefillId: $pid, notMade: $notMade, force: $force) {
    __typename
    ... on ResolveRefillSuccess { resolvedBy refill { id orderId status provider error } }
    ... on UserError { message code }
  } }"""


def _placed_as(order: dict[str, Any] | None) -> str | None:
    """The provider's order id, from the order's history (GraphQL shows it there)."""
    history = (order or {}).get("history") or []
    details = [h["details"] for h in history if isinstance(h.get("details"), dict)]
    found = [d["provider_order_id"] for d in details if d.get("provider_order_id")]
    return found[-1] if found else None


def _listed_remotely(url: str, key: str, limit: int) -> list[dict[str, Any]]:
    found = graphql(url, key, UNCONFIRMED_REFILLS_QUERY, {"first": limit})["unconfirmedRefills"]
    return [
        {
            "refill": r["id"], "order": r["orderId"], "provider": r["provider"],
            "provider_order": _placed_as(r["order"]), "link": (r["order"] or {}).get("link"),
            "asked": r["createdAt"], "error": r["error"],
        }
        for r in found
    ]  # fmt: skip


def orders_unconfirmed_refills(
    limit: Annotated[int, limit_option("refills, oldest first")] = MAX_ROWS,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Refills asked of a panel whose answer was lost, with the provider, its order id and the
    time to look for in the panel's refill list; then settle each with `orders resolve-refill`.
    Their orders are not asked for another refill until then."""
    if url:
        rows = _listed_remotely(url, key, limit)
        emit(rows, as_json=as_json, title="Unconfirmed refills")
        return

    async def work(gw: Gateway) -> list[dict[str, Any]]:
        refills = await gw.store.unconfirmed_refills(limit)
        orders = {o.id: o for o in await gw.store.get_orders({r.order_id for r in refills})}
        return [
            {
                "refill": r.id, "order": r.order_id, "provider": r.provider,
                "provider_order": orders[r.order_id].provider_order_id,
                "link": orders[r.order_id].request.get("link"), "asked": r.created_at,
                "error": r.error,
            }
            for r in refills
        ]  # fmt: skip

    emit(with_gateway(config, work), as_json=as_json, title="Unconfirmed refills")


def orders_resolve_refill(
    refill_id: Annotated[int, id_argument("The gateway's refill id.")],
    provider_refill: Annotated[
        str | None,
        typer.Option(
            "--provider-refill",
            metavar="PID",
            help="It was made: its id at the provider, from the panel's refill list.",
        ),
    ] = None,
    not_made: Annotated[
        bool,
        typer.Option(
            "--not-made",
            help="The panel has no such refill: fail it, so the order may be refilled again.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Record --provider-refill even if the panel cannot confirm it."
        ),
    ] = False,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Settle an UNCONFIRMED refill once its panel was checked: made (the gateway then follows
    it) or not made. Any other refill is refused."""
    if (provider_refill is not None) == not_made:
        raise typer.BadParameter("give exactly one of --provider-refill PID and --not-made")
    if url:
        variables = {
            "id": refill_id, "pid": provider_refill, "notMade": not_made, "force": force
        }  # fmt: skip
        answer = graphql(url, key, RESOLVE_REFILL_MUTATION, variables)["resolveRefill"]
        resolved = expect(answer, "ResolveRefillSuccess")
        refill = resolved["refill"]
        emit_one(
            {
                "refill": refill["id"], "order": refill["orderId"], "state": refill["status"],
                "provider": refill["provider"], "provider_refill": provider_refill,
                "resolved_by": resolved["resolvedBy"], "error": refill["error"],
            },
            as_json=as_json,
        )  # fmt: skip
        return
    by = operator()

    async def work(gw: Gateway) -> dict[str, Any]:
        row = await gw.orders.resolve_refill(
            refill_id, by=by, provider_refill_id=provider_refill, not_made=not_made, force=force
        )
        return {
            "refill": row.id, "order": row.order_id, "state": row.state,
            "provider": row.provider, "provider_refill": row.provider_refill_id,
            "resolved_by": by, "error": row.error,
        }  # fmt: skip

    emit_one(with_gateway(config, work), as_json=as_json)
