"""`smm-gateway orders` against a running gateway (``--url``/``--key``): the same rows as from
the ledger, read and requested through its GraphQL API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.cli.remote import RemoteError, graphql

_FIELDS = """id clientId serviceId parentId status statusRaw provider cost { amount currency }
  charge { amount currency } remains createdAt error"""
ORDERS_QUERY = f"""query($filter: OrderFilter, $first: Int) {{
  orders(filter: $filter, first: $first) {{ nodes {{ {_FIELDS} }} }} }}"""
ORDER_QUERY = f"""query($id: Int!) {{ order(id: $id) {{ {_FIELDS}
  history {{ at kind toStatus details }} }} }}"""
_OUTCOME = """__typename ... on NotFoundError { id message }
  ... on ActionRefusedError { order { id } message }"""
REFILL_MUTATION = f"""mutation($ids: [Int!]!) {{ refillOrders(ids: $ids) {{ results {{
  {_OUTCOME} ... on RefillRequested {{ order {{ id }} refill {{ id status }} }} }} }} }}"""
CANCEL_MUTATION = f"""mutation($ids: [Int!]!) {{ cancelOrders(ids: $ids) {{ results {{
  {_OUTCOME} ... on CancelRequested {{ order {{ id }} }} }} }} }}"""


def order_row(order: dict[str, Any]) -> dict[str, Any]:
    """An order as GraphQL gives it to an operator, in the columns `orders list` prints: its
    ``cost`` (to the client) as `price`, its ``charge`` (by the provider) as `cost`."""
    price = order.get("cost") or {}
    cost = order.get("charge") or {}
    return {
        "id": order["id"],
        "client": order["clientId"],
        "service": order["serviceId"],
        "parent": order["parentId"],
        "state": order["status"],
        "status": order["statusRaw"],
        "provider": order["provider"],
        "price": price.get("amount"),
        "price_currency": price.get("currency"),
        "cost": cost.get("amount"),
        "cost_currency": cost.get("currency"),
        "remains": order["remains"],
        "created": order["createdAt"],
        "error": order["error"],
    }


def orders(url: str, key: str, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    found = graphql(url, key, ORDERS_QUERY, {"filter": filters, "first": limit})
    return [order_row(o) for o in found["orders"]["nodes"]]


def order(url: str, key: str, order_id: int) -> dict[str, Any]:
    """One order with its history, as `orders show` prints it; `RemoteError` if not there."""
    found = graphql(url, key, ORDER_QUERY, {"id": order_id})["order"]
    if found is None:
        raise RemoteError(f"no order {order_id}")
    history = [
        f"{datetime.fromisoformat(h['at']):%Y-%m-%d %H:%M:%S} {h['kind']} {h['toStatus'] or ''}"
        for h in found["history"]
    ]
    placed = [
        h["details"]["provider_order_id"]
        for h in found["history"]
        if isinstance(h.get("details"), dict) and h["details"].get("provider_order_id")
    ]
    return shown(order_row(found), placed[-1] if placed else None, history)


def shown(row: dict[str, Any], provider_order: str | None, history: list[str]) -> dict[str, Any]:
    """What `orders show` prints: `row` with the provider's order id after the provider, and
    the history, a line each."""
    fields = list(row.items())
    at = [name for name, _ in fields].index("provider") + 1
    return {
        **dict(fields[:at]),
        "provider_order": provider_order,
        **dict(fields[at:]),
        "history": [line.strip() for line in history],
    }


def _outcome(result: dict[str, Any]) -> tuple[int, str | None]:
    """The order id and the refusal of one result (None when requested)."""
    kind = result["__typename"]
    if kind == "NotFoundError":
        return int(result["id"]), str(result["message"])
    error = str(result["message"]) if kind == "ActionRefusedError" else None
    return int(result["order"]["id"]), error


def refill(url: str, key: str, order_ids: list[int]) -> list[dict[str, Any]]:
    answer = graphql(url, key, REFILL_MUTATION, {"ids": order_ids})["refillOrders"]
    rows = []
    for result in answer["results"]:
        order_id, error = _outcome(result)
        requested = result.get("refill") if error is None else None
        refill = requested or {}
        rows.append(
            {"order": order_id, "refill": refill.get("id"), "state": refill.get("status"),
             "error": error}
        )  # fmt: skip
    return rows


def cancel(url: str, key: str, order_ids: list[int]) -> list[dict[str, Any]]:
    answer = graphql(url, key, CANCEL_MUTATION, {"ids": order_ids})["cancelOrders"]
    rows = []
    for result in answer["results"]:
        order_id, error = _outcome(result)
        rows.append({"order": order_id, "requested": error is None, "error": error})
    return rows
