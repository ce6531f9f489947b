"""One client never sees, refills or cancels another's orders through ``/api/v2``, in the batch
forms as in the single ones; the admin scope sees every client's."""

from __future__ import annotations

import httpx

from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2
from tests.gateway.syncing import sync_statuses

UNKNOWN = {"error": "Incorrect order ID"}


async def alice_orders(client: httpx.AsyncClient, gw: Gateway, keys: Keys) -> list[int]:
    group = await shared_group(gw, refill=True, cancel=True)
    placed = [
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group, n))
        for n in (1, 2)
    ]
    return [p["order"] for p in placed]


async def test_batch_status_hides_another_clients_orders(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    first, second = await alice_orders(client, gw, keys)
    ids = f"{first},{second}"
    seen = await v2(client, "form", key=keys.bob, action="status", orders=ids)
    assert seen == {str(first): UNKNOWN, str(second): UNKNOWN}
    own = await v2(client, "form", key=keys.alice, action="status", orders=ids)
    assert all("status" in own[str(i)] for i in (first, second))
    admin = await v2(client, "form", key=keys.admin, action="status", orders=ids)
    assert all("status" in admin[str(i)] for i in (first, second))


async def test_a_client_cannot_cancel_another_clients_orders(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    first, second = await alice_orders(client, gw, keys)
    before = sum(trio.calls("cancel").values())
    single = await v2(client, "form", key=keys.bob, action="cancel", order=first)
    batch = await v2(client, "json", key=keys.bob, action="cancel", orders=f"{first},{second}")
    assert single == [{"order": first, "cancel": UNKNOWN}]
    assert batch == [{"order": first, "cancel": UNKNOWN}, {"order": second, "cancel": UNKNOWN}]
    assert sum(trio.calls("cancel").values()) == before, "nothing was asked of any panel"
    kinds = [e.kind for e in await gw.store.order_events(first)]
    assert "cancel_requested" not in kinds
    own = await v2(client, "form", key=keys.alice, action="cancel", order=first)
    assert own == [{"order": first, "cancel": 1}], "the owner still can"


async def test_a_client_cannot_refill_another_clients_orders(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    first, second = await alice_orders(client, gw, keys)
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    before = sum(trio.calls("refill").values())
    single = await v2(client, "form", key=keys.bob, action="refill", order=first)
    batch = await v2(client, "query", key=keys.bob, action="refill", orders=f"{first},{second}")
    assert single == UNKNOWN
    assert batch == [{"order": first, "refill": UNKNOWN}, {"order": second, "refill": UNKNOWN}]
    assert sum(trio.calls("refill").values()) == before, "nothing was asked of any panel"
    assert await gw.store.get_refills(list(range(1, 50))) == []
    own = await v2(client, "form", key=keys.alice, action="refill", order=first)
    assert own["refill"].isdigit(), "the owner still can"


async def test_a_client_cannot_read_another_clients_refills(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    first, _ = await alice_orders(client, gw, keys)
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    refill = int((await v2(client, "form", key=keys.alice, action="refill", order=first))["refill"])
    single = await v2(client, "form", key=keys.bob, action="refill_status", refill=refill)
    batch = await v2(client, "json", key=keys.bob, action="refill_status", refills=f"{refill}")
    assert single == {"error": "Refill not found"}
    assert batch == [{"refill": refill, "status": {"error": "Refill not found"}}]
    own = await v2(client, "form", key=keys.alice, action="refill_status", refill=refill)
    assert own["status"] in ("Pending", "In progress", "Completed", "Rejected")
    admin = await v2(client, "form", key=keys.admin, action="refill_status", refill=refill)
    assert admin == own
