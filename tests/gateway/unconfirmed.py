"""Making UNCONFIRMED orders through real faults, and reading what an operator reads."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from gateway.core import Gateway
from gateway.store import GatewayState, OrderRow
from gateway.store.tables import outbox
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, shared_group


async def fields(gw: Gateway, n: int = 0) -> tuple[int, dict[str, Any]]:
    group = await shared_group(gw)
    quantity = max(m.service.min for m in group.members)
    return group.id, {"link": f"https://instagram.com/p/{n}", "quantity": quantity}


async def unconfirmed(gw: Gateway, trio: Trio, kind: FaultKind, n: int = 0) -> OrderRow:
    """An order whose `add` answer was lost: with DROP the panel placed it, with a 5xx not."""
    service, order_fields = await fields(gw, n)
    first = (await gw.quote(service, order_fields)).candidates[0].offer.provider
    trio.sims[first].faults.add(Fault(kind, actions=frozenset({"add"}), count=1))
    order = await gw.place("c", service, order_fields)
    assert order.state == GatewayState.UNCONFIRMED
    assert order.provider == first
    return order


def panel_order_id(trio: Trio, provider: str) -> str:
    """The id the panel shows for its newest order, as an operator reads it in its order list."""
    sim = trio.sims[provider]
    newest = sim.panel.orders()[-1]
    answer = httpx.get(f"{sim.base_url}/_sim/orders/{newest.id}")
    return str(answer.json()["order"])


async def outbox_of(gw: Gateway, order_id: int) -> list[dict[str, Any]]:
    """The events written for `order_id`, oldest first, published or not (a served app's
    in-process workers may publish them at any moment)."""
    async with gw.store.transaction() as tx:
        result = await tx.execute(select(outbox.c.payload).order_by(outbox.c.id))
        payloads = [dict(payload) for payload in result.scalars()]
    return [p for p in payloads if p["data"].get("order", {}).get("id") == order_id]
