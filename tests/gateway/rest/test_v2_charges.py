"""What ``/api/v2 status`` says an order cost: the provider's charge in the gateway's base
currency, to the cent, whatever currency the provider charges in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx

from gateway.catalog import Group
from gateway.core import Gateway
from gateway.rest.v2_shapes import money_text, status_entry
from gateway.store import OrderRow
from providers.models import OrderState, ServiceType
from tests.gateway.panels import EUR_TO_USD, Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, v2
from tests.gateway.syncing import sync_statuses


async def only_at(gw: Gateway, provider: str) -> Group:
    """A default-type group that only `provider` offers."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        if group.providers == {provider} and group.type is ServiceType.DEFAULT:
            return group
    raise AssertionError(f"no group offered by {provider} alone")


async def test_a_charge_in_another_currency_is_converted_to_the_base_currency(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    gamma = trio.sims["gamma"]
    assert gamma.panel.currency == "EUR"
    group = await only_at(gw, "gamma")
    order = (await v2(client, "form", key=keys.alice, action="add", **order_fields(group)))["order"]
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    answer = await v2(client, "form", key=keys.alice, action="status", order=order)
    [charged] = [o.charge for o in gamma.panel.orders()]
    assert charged > 0
    assert answer["currency"] == "USD"
    assert answer["charge"] == money_text(charged * EUR_TO_USD)
    row = await gw.store.get_order(order)
    assert row.charge == charged, "the ledger keeps the provider's own amount"


def test_a_status_entry_converts_the_charge_exactly_to_the_cent() -> None:
    now = datetime.now(UTC)
    row = OrderRow(
        id=1, client_id="c", request={}, state=OrderState.COMPLETED.value, version=3,
        created_at=now, updated_at=now, provider="gamma", quoted_cost=Decimal("9.99"),
        currency="USD", provider_currency="EUR", charge=Decimal("5.00"), charge_currency="EUR",
        remains=0,
    )  # fmt: skip
    rates = {"USD": Decimal(1), "EUR": EUR_TO_USD}
    entry = status_entry(row, "USD", rates.__getitem__)
    # 5.00 EUR at 1.08 USD per EUR is 5.40 USD (dividing would give 4.63).
    assert entry["charge"] == "5.40000"
    assert entry["currency"] == "USD"
