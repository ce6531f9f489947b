"""What the console tests show: orders, a client account with a top-up, a webhook endpoint whose
deliveries fail (its receiver is a closed port), all made through the gateway's own APIs."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.core import Gateway
from gateway.store import OrderRow
from tests.gateway.graphql.server import Api, Server
from tests.gateway.unconfirmed import fields

CREATE_ACCOUNT = """mutation($name: String!) {
  createAccount(input: {name: $name}) { __typename } }"""
TOP_UP = """mutation($name: String!, $amount: Decimal!) {
  topUp(name: $name, amount: $amount, reason: "first payment") { __typename } }"""
CLOSED_PORT = "http://127.0.0.1:9/hook"
"""The discard port, closed on these machines: every delivery there fails."""


async def orders(gw: Gateway, client: str, count: int, link: str | None = None) -> list[OrderRow]:
    """`count` orders of `client` for a service every panel sells."""
    placed = []
    for n in range(count):
        service, order_fields = await fields(gw, n)
        if link is not None:
            order_fields = {**order_fields, "link": link}
        placed.append(await gw.place(client, service, order_fields))
    return placed


async def account(admin: Api, name: str, amount: str) -> None:
    """A client account, topped up with `amount`."""
    made = await admin.data(CREATE_ACCOUNT, {"name": name})
    assert made["createAccount"]["__typename"] == "AccountSuccess"
    topped = await admin.data(TOP_UP, {"name": name, "amount": amount})
    assert topped["topUp"]["__typename"] == "MovementSuccess"


async def failing_endpoint(http: httpx.AsyncClient, server: Server, admin_key: str) -> Any:
    """A webhook endpoint for every event, at a receiver that never answers."""
    answer = await http.post(
        server.base_url + "/v1/webhooks",
        json={"url": CLOSED_PORT, "event_types": ["*"], "description": "shop backend"},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()
