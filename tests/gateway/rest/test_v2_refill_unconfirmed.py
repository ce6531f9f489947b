"""A refill whose panel answer was lost, as a panel client and a GraphQL client see it: the
refill's id (asked again: the same id, the panel not asked again), a status that says it waits
for confirmation, and on GraphQL the UNCONFIRMED status with a note, never the panel's words."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.core import Gateway
from gateway.rest.v2_shapes import REFILL_UNCONFIRMED_STATUS
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, shared_group
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, v2
from tests.gateway.syncing import sync_statuses

REFILLS = """query($id: Int!) { order(id: $id) { refills { id status statusRaw note } } }"""


async def graphql(client: httpx.AsyncClient, key: str, query: str, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_lost_refill_answer_is_shown_as_awaiting_confirmation_and_not_asked_again(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw, refill=True)
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group, 7))
    order = await gw.store.get_order(placed["order"])
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    sim = trio.sims[order.provider or ""]
    sim.faults.add(Fault(FaultKind.DROP, actions=frozenset({"refill"}), count=1))
    before = sim.panel.calls["refill"]

    first = await v2(client, "form", key=keys.alice, action="refill", order=order.id)
    refill_id = int(first["refill"])
    again = await v2(client, "query", key=keys.alice, action="refill", orders=order.id)
    assert again == [{"order": order.id, "refill": refill_id}], "the same refill"
    assert sim.panel.calls["refill"] - before == 1, "the panel is not asked again"

    status = await v2(client, "form", key=keys.alice, action="refill_status", refill=refill_id)
    assert status == {"status": REFILL_UNCONFIRMED_STATUS}
    assert status == {"status": "Awaiting confirmation"}
    batch = await v2(client, "json", key=keys.alice, action="refill_status", refills=refill_id)
    assert batch == [{"refill": refill_id, "status": "Awaiting confirmation"}]

    found = await graphql(client, keys.alice, REFILLS, id=order.id)
    assert found["order"]["refills"] == [
        {
            "id": refill_id, "status": "UNCONFIRMED", "statusRaw": None,
            "note": "The provider's answer to this refill request was lost; the refill may "
            "exist there. It is being checked; the order is not asked again until then.",
        }
    ]  # fmt: skip
