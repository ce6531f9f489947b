"""/api/v2 shows a client key the unified catalog and its own orders, never the operator's funds
or the providers behind them; an operator's balance is complete or refused."""

from __future__ import annotations

from decimal import Decimal

import httpx

from gateway.core import Gateway
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2

NOT_FOR_CLIENTS = {"error": "Balance is not available for this API key"}
INCOMPLETE = {"error": "Balance temporarily unavailable: not every panel answered"}


async def test_a_client_key_never_sees_the_operators_funds(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    _, ops = await gw.store.create_api_key("dashboard", "dashboard", ["ops"])
    for key in (keys.alice, keys.reader):
        assert await v2(client, "form", key=key, action="balance") == NOT_FOR_CLIENTS
    total = (await gw.balances.fetch()).total.amount
    assert total > 0
    for key in (ops, keys.admin):
        answer = await v2(client, "form", key=key, action="balance")
        assert answer == {"balance": f"{total.quantize(Decimal('0.00001')):f}", "currency": "USD"}


async def test_an_operator_balance_is_never_silently_partial(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    trio.sims["beta"].faults.add(Fault(FaultKind.HTTP_5XX, actions=frozenset({"balance"})))
    await gw.cache.delete(*(f"balance:{name}" for name in gw.providers))
    assert await v2(client, "form", key=keys.admin, action="balance") == INCOMPLETE


async def test_status_and_services_name_no_provider(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    group = await shared_group(gw)
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    status = await client.post(
        "/api/v2", data={"key": keys.alice, "action": "status", "order": str(placed["order"])}
    )
    assert sorted(status.json()) == ["charge", "currency", "remains", "start_count", "status"]
    row = await gw.store.get_order(placed["order"])
    assert row.provider is not None
    assert row.provider not in status.text
    assert row.provider_order_id is not None
    assert f'"{row.provider_order_id}"' not in status.text
    services = await v2(client, "form", key=keys.reader, action="services")
    assert {tuple(sorted(s)) for s in services} == {
        ("cancel", "category", "max", "min", "name", "rate", "refill", "service", "type")
    }
