"""What ``/api/v2 add`` tells a client when the panel's answer proves nothing, or when every
member refuses the quantity: an order id to poll, never an invitation to order again."""

from __future__ import annotations

import httpx

from gateway.core import Gateway
from gateway.store import GatewayState
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2


def answer_add(
    trio: Trio, name: str, text: str, count: int | None = 1, process: bool = False
) -> None:
    rule = Fault(FaultKind.ERROR, actions=frozenset({"add"}), count=count,
                 params={"text": text, "process": str(process)})  # fmt: skip
    trio.sims[name].faults.add(rule)


async def test_an_unrecognised_panel_answer_gives_an_order_to_poll(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    quote = await gw.quote(group.id, {k: v for k, v in fields.items() if k != "service"})
    assert quote.chosen is not None
    answer_add(trio, quote.chosen.offer.provider, "Order could not be processed", process=True)
    answer = await v2(client, "form", key=keys.alice, action="add", **fields)
    assert list(answer) == ["order"], "the order may exist: the client polls, never re-orders"
    row = await gw.store.get_order(answer["order"])
    assert row.state == GatewayState.UNCONFIRMED
    status = await v2(client, "form", key=keys.alice, action="status", order=answer["order"])
    assert status["status"] == "Pending"


async def test_a_quantity_every_member_refuses_is_answered_with_the_panels_text(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    for name in trio.sims:
        answer_add(trio, name, "Quantity less than minimal 5000", count=None)
    answer = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    assert answer == {"error": "Quantity less than minimal 5000"}
    assert all(calls >= 1 for calls in trio.calls("add").values()), "every member was asked"
