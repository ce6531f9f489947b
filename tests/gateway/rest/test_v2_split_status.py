"""``/api/v2`` on a client order made of child orders (a split across providers): ``status``
answers the aggregate (remains summed, the first child's start count, the charges summed,
Partial when a child is), and ``cancel`` reaches every child; over real HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from gateway.core import Gateway
from gateway.rest.v2_shapes import money_text, status_entry
from gateway.routing import Need
from gateway.store import OrderRow
from providers.models import OrderState
from providers.simulator import QualityPlan
from tests.gateway.panels import Trio, shared_group
from tests.gateway.rest.accounts import open_account
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import v2
from tests.gateway.syncing import sync_statuses

FORTNIGHT = 14 * 24 * 3600
NEEDS = frozenset({Need.REFILL, Need.CANCEL})


@pytest.fixture(autouse=True)
def perfect(trio: Trio) -> None:
    """Panels that deliver in full, so that a partial is the one a test makes."""
    for sim in trio.sims.values():
        sim.panel.quality = QualityPlan.of("perfect")


async def split_order(gw: Gateway, n: int) -> tuple[OrderRow, list[OrderRow]]:
    """A split order of client ``alice`` (the quantity is above every member's maximum)."""
    group = await shared_group(gw, refill=True, cancel=True)
    total = max(m.service.max for m in group.members) + 2000
    fields = {"link": f"https://instagram.com/p/v2split{n}", "quantity": total}
    order = await gw.place("alice", group.id, fields, needs=NEEDS)
    return order, (await gw.store.children_of([order.id]))[order.id]


async def test_status_shows_the_aggregate_through_partial(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    order, (_, second) = await split_order(gw, 1)
    total = int(order.request["quantity"])
    pending = await v2(client, "form", key=keys.alice, action="status", order=order.id)
    assert (pending["status"], pending["remains"]) == ("Pending", str(total))
    trio.advance(60)
    [upstream] = [o for o in trio.sims[second.provider or ""].panel.orders()]
    upstream.stop(OrderState.PARTIAL, upstream.total // 5)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    done = await v2(client, "form", key=keys.alice, action="status", order=order.id)
    children = (await gw.store.children_of([order.id]))[order.id]
    base, to_base = gw.base_currency, gw.settings.rate_to_base
    charges = [Decimal(status_entry(c, base, to_base)["charge"]) for c in children]
    assert done == {
        "charge": money_text(sum(charges, Decimal(0))),
        "start_count": str(children[0].start_count or 0),
        "status": "Partial",
        "remains": str(upstream.total - upstream.total // 5),
        "currency": base,
    }
    # In a batch too, beside a plain order id that is not the client's.
    batch = await v2(client, "form", key=keys.alice, action="status", orders=f"{order.id},999999")
    assert batch[str(order.id)] == done
    assert batch["999999"] == {"error": "Incorrect order ID"}
    # Another client does not see it.
    other = await v2(client, "form", key=keys.bob, action="status", orders=str(order.id))
    assert other[str(order.id)] == {"error": "Incorrect order ID"}
    assert await gw.store.ledger_problems() == []


async def test_cancel_reaches_every_child(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    order, children = await split_order(gw, 2)
    answer = await v2(client, "form", key=keys.alice, action="cancel", orders=str(order.id))
    assert answer == [{"order": order.id, "cancel": 1}]
    assert sum(trio.calls("cancel").values()) == len(children) == 2
    trio.advance(60)
    await sync_statuses(gw)
    status = await v2(client, "form", key=keys.alice, action="status", order=order.id)
    assert (status["status"], status["remains"]) == ("Canceled", str(order.request["quantity"]))
    assert await gw.store.ledger_problems() == []


async def test_an_add_above_every_members_maximum_becomes_one_split_order(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    total = max(m.service.max for m in group.members) + 2000
    placed = await v2(
        client, "form", key=keys.alice, action="add", service=group.id,
        link="https://instagram.com/p/v2splitadd", quantity=total,
    )  # fmt: skip
    assert set(placed) == {"order"}, placed
    children = (await gw.store.children_of([placed["order"]]))[placed["order"]]
    assert len({c.provider for c in children}) == len(children) >= 2
    assert sum(int(c.request["quantity"]) for c in children) == total
    status = await v2(client, "form", key=keys.alice, action="status", order=placed["order"])
    assert status["remains"] == str(total), "the client sees one order of the whole quantity"


async def test_a_client_never_reads_or_acts_on_a_part_of_its_split_order(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    shop = await open_account(gw, "shop", funds=Decimal(1_000_000))
    group = await shared_group(gw, refill=True, cancel=True)
    total = max(m.service.max for m in group.members) + 2000
    placed = await v2(
        client, "form", key=shop.key, action="add", service=group.id,
        link="https://instagram.com/p/v2splitparts", quantity=total,
    )  # fmt: skip
    parent = await gw.store.get_order(placed["order"])
    children = (await gw.store.children_of([parent.id]))[parent.id]
    assert len(children) >= 2
    assert parent.client_price is not None
    unknown = {"error": "Incorrect order ID"}
    for child in children:
        # A child's row carries the wholesale cost and none of the client's columns.
        assert (child.client_id, child.client_price) == ("shop", None)
        answer = await v2(client, "form", key=shop.key, action="status", order=child.id)
        assert answer == unknown
        assert await v2(client, "form", key=shop.key, action="refill", order=child.id) == unknown
        cancel = await v2(client, "form", key=shop.key, action="cancel", orders=str(child.id))
        assert cancel == [{"order": child.id, "cancel": unknown}]
    assert sum(trio.calls("refill").values()) == sum(trio.calls("cancel").values()) == 0
    ids = ",".join(str(i) for i in [parent.id, *(c.id for c in children)])
    batch = await v2(client, "form", key=shop.key, action="status", orders=ids)
    assert batch[str(parent.id)]["charge"] == money_text(parent.client_price)
    assert all(batch[str(c.id)] == unknown for c in children)
    # The operator still reads the parts.
    seen = await v2(client, "form", key=keys.admin, action="status", order=children[0].id)
    assert seen["status"] == "Pending"
    assert await gw.store.ledger_problems() == []
