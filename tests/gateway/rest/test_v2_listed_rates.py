"""The rate ``/api/v2 services`` lists holds for every quantity in the listed range: no order
costs more than it, for an operator's key (the provider cost) or a client account's (its
price), even where the cheapest member takes only larger orders than the listed minimum."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from gateway.accounts.pricing import round_up
from gateway.catalog import Group
from gateway.core import Gateway
from providers.models import ServiceType
from tests.gateway.panels import Trio
from tests.gateway.rest.accounts import account_now, assert_ledger, open_account
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import v2


def quantities(group: Group, low: int, high: int) -> list[int]:
    """Every quantity where the cheapest member able to take an order may change."""
    bounds = {low, high} | {m.service.min for m in group.members}
    bounds |= {m.service.max + 1 for m in group.members}
    return sorted(q for q in bounds if low <= q <= high)


def fields(quantity: int) -> dict[str, Any]:
    return {"link": "https://instagram.com/p/listed", "quantity": quantity}


def cost_rate(cost: Decimal, quantity: int) -> Decimal:
    return cost * 1000 / quantity


async def test_no_quantity_in_the_listed_range_costs_more_than_the_listed_rate(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    shop = await open_account(gw, "shop", funds=Decimal(1000))
    snapshot = await gw.catalog.snapshot()
    operator = {
        e["service"]: e for e in await v2(client, "form", key=keys.admin, action="services")
    }
    client_listed = await v2(client, "form", key=shop.key, action="services")
    checked, above_cheapest = 0, 0
    for entry in client_listed:
        group = snapshot.groups[entry["service"]]
        if group.type is not ServiceType.DEFAULT:
            continue
        low, high = int(entry["min"]), int(entry["max"])
        listed, operator_listed = Decimal(entry["rate"]), Decimal(operator[group.id]["rate"])
        for quantity in quantities(group, low, high):
            decision, price = await gw.quote_for(shop.account, group.id, fields(quantity))
            if price is None:
                continue  # no member takes this quantity: nothing to charge
            assert price.rate <= listed, (group.id, quantity)
            assert price.amount <= round_up(listed * quantity / 1000), (group.id, quantity)
            cheapest = min(c.cost.amount for c in decision.candidates)
            assert cost_rate(cheapest, quantity) <= operator_listed, (group.id, quantity)
            checked += 1
        if operator_listed > group.cheapest.rate:
            above_cheapest += 1
    assert checked > 50
    assert above_cheapest, "some group's cheapest member takes only larger orders"


async def test_an_order_at_the_listed_minimum_holds_no_more_than_the_listed_rate(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    shop = await open_account(gw, "shop", funds=Decimal(1000))
    snapshot = await gw.catalog.snapshot()
    listed = {e["service"]: e for e in await v2(client, "form", key=shop.key, action="services")}
    group = next(
        g for g in sorted(snapshot.groups.values(), key=lambda g: g.id)
        if g.type is ServiceType.DEFAULT and g.id in listed and g.cheapest.service.min > g.min
    )  # fmt: skip
    entry = listed[group.id]
    quantity = int(entry["min"])
    answer = await v2(
        client, "form", key=shop.key, action="add", service=group.id, **fields(quantity)
    )
    row = await gw.store.get_order(answer["order"])
    assert row.client_price is not None
    assert row.client_price <= round_up(Decimal(entry["rate"]) * quantity / 1000)
    assert row.provider != group.cheapest.provider or row.provider_service_id != (
        group.cheapest.service.id
    ), "the cheapest member does not take this quantity"
    assert (await account_now(gw, shop.account)).held == row.client_price
    await assert_ledger(gw)
