"""``/api/v2 status`` of a client account's orders: ``charge`` is what the client pays, in the
account's currency (the hold while the order is open, its final charge once settled), never
the provider's wholesale charge; whoever reads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import httpx

from gateway.core import Gateway
from gateway.rest.v2_accounts import client_status
from gateway.rest.v2_shapes import money_text, status_entry
from gateway.store import GatewayState, OrderRow
from providers.models import OrderState
from providers.simulator.orders import SimOrder
from tests.gateway.panels import Trio
from tests.gateway.rest.accounts import account_now, assert_ledger, open_account
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2
from tests.gateway.syncing import sync_statuses

FORTNIGHT = 14 * 24 * 3600


async def upstream_of(gw: Gateway, trio: Trio, order: int) -> SimOrder:
    """The panel's own record of `order`."""
    row = await gw.store.get_order(order)
    assert row.provider is not None
    found = trio.sims[row.provider].panel.orders()
    [upstream] = [o for o in found if o.fields.get("link") == row.request["link"]]
    return upstream


def client_money(row: OrderRow) -> tuple[Decimal, Decimal]:
    """The client rate and price an account's order was placed at."""
    assert row.client_rate is not None
    assert row.client_price is not None
    return row.client_rate, row.client_price


async def test_the_charge_is_the_hold_then_the_clients_final_charge(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, "shop", funds=Decimal(100), markup=Decimal(35))
    order = (await v2(client, "form", key=shop.key, action="add", **order_fields(group)))["order"]
    own = (await v2(client, "form", key=keys.alice, action="add", **order_fields(group, 1)))[
        "order"
    ]
    _, held = client_money(await gw.store.get_order(order))
    price = money_text(held)
    pending = await v2(client, "form", key=shop.key, action="status", order=order)
    assert pending == {
        "charge": price, "start_count": "0", "status": "Pending",
        "remains": str(order_fields(group)["quantity"]), "currency": "USD",
    }  # fmt: skip

    for placed in (order, own):  # the panel delivers both in full
        upstream = await upstream_of(gw, trio, placed)
        upstream.stop(OrderState.COMPLETED, upstream.total)
    await sync_statuses(gw)
    row = await gw.store.get_order(order)
    assert row.state == OrderState.COMPLETED
    assert row.charge is not None
    assert row.charge > 0
    assert row.client_charge == held
    done = await v2(client, "form", key=shop.key, action="status", order=order)
    assert (done["status"], done["charge"], done["currency"]) == ("Completed", price, "USD")
    assert done["charge"] != money_text(row.charge), "never the wholesale charge"
    # The operator reading the client's order through the panel face sees the same charge.
    assert await v2(client, "form", key=keys.admin, action="status", order=order) == done
    # An order of a key without an account still shows the provider's charge.
    wholesale = await v2(client, "form", key=keys.alice, action="status", order=own)
    own_row = await gw.store.get_order(own)
    assert own_row.charge is not None
    assert own_row.account_id is None
    assert own_row.charge_currency is not None
    to_usd = gw.settings.rate_to_base(own_row.charge_currency)
    assert wholesale["charge"] == money_text(own_row.charge * to_usd)
    account = await account_now(gw, shop.account)
    assert (account.balance, account.held) == (Decimal(100) - held, Decimal(0))
    await assert_ledger(gw)


async def test_a_partial_order_charges_the_client_for_what_was_delivered(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    shop = await open_account(gw, "shop", funds=Decimal(100), markup=Decimal(25))
    order = (await v2(client, "form", key=shop.key, action="add", **fields))["order"]
    rate, held = client_money(await gw.store.get_order(order))
    upstream = await upstream_of(gw, trio, order)
    delivered = upstream.total // 3
    upstream.stop(OrderState.PARTIAL, delivered)  # the panel gives up a third of the way
    await sync_statuses(gw)

    row = await gw.store.get_order(order)
    assert row.state == OrderState.PARTIAL
    remains = upstream.total - delivered
    undelivered = (rate * remains / 1000).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    charged = held - min(held, undelivered)
    assert row.client_charge == charged
    assert 0 < charged < held
    answer = await v2(client, "form", key=shop.key, action="status", order=order)
    assert answer == {
        "charge": money_text(charged), "start_count": answer["start_count"],
        "status": "Partial", "remains": str(remains), "currency": "USD",
    }  # fmt: skip
    assert row.charge is not None
    assert answer["charge"] != money_text(row.charge), "never the wholesale charge"
    account = await account_now(gw, shop.account)
    assert (account.balance, account.held) == (Decimal(100) - charged, Decimal(0))
    await assert_ledger(gw)


async def test_many_statuses_show_each_account_order_at_its_clients_charge(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw, cancel=True)
    shop = await open_account(gw, "shop", funds=Decimal(100))
    other = await open_account(gw, "other", funds=Decimal(100), markup=Decimal(90))
    mine = [
        (await v2(client, "form", key=shop.key, action="add", **order_fields(group, n)))["order"]
        for n in range(2)
    ]
    theirs = (await v2(client, "form", key=other.key, action="add", **order_fields(group, 9)))[
        "order"
    ]
    asked = ",".join(str(i) for i in [*mine, theirs, 424242])
    answer = await v2(client, "form", key=shop.key, action="status", orders=asked)
    assert list(answer) == asked.split(",")
    for order in mine:
        row = await gw.store.get_order(order)
        assert row.client_price is not None
        assert answer[str(order)]["charge"] == money_text(row.client_price)
        assert answer[str(order)]["currency"] == "USD"
    assert answer[str(theirs)] == {"error": "Incorrect order ID"}, "another client's order"
    assert answer["424242"] == {"error": "Incorrect order ID"}

    # Canceled before it started: the whole hold comes back and the client was charged 0.
    canceled = await v2(client, "form", key=shop.key, action="cancel", orders=str(mine[1]))
    assert canceled == [{"order": mine[1], "cancel": 1}]
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    row = await gw.store.get_order(mine[1])
    assert row.state == OrderState.CANCELED
    assert row.client_charge == 0
    again = await v2(client, "form", key=shop.key, action="status", order=mine[1])
    assert (again["status"], again["charge"]) == ("Canceled", "0.00000")
    await assert_ledger(gw)


def test_an_account_order_shows_its_hold_until_settled_and_nothing_if_never_placed() -> None:
    now = datetime.now(UTC)
    base = OrderRow(
        id=1, client_id="shop", request={}, state=GatewayState.UNCONFIRMED.value, version=2,
        created_at=now, updated_at=now, provider="gamma", quoted_cost=Decimal("0.40"),
        currency="USD", provider_currency="EUR", charge=Decimal("0.37"), charge_currency="EUR",
        remains=0, account_id=7, client_rate=Decimal("5.5"), client_price=Decimal("0.55"),
        client_currency="USD",
    )  # fmt: skip
    rates = {"USD": Decimal(1), "EUR": Decimal("1.08")}

    def charge(row: OrderRow) -> tuple[str, str]:
        entry = client_status(row, status_entry(row, "USD", rates.__getitem__), "USD")
        return entry["charge"], entry["currency"]

    assert charge(base) == ("0.55000", "USD"), "an unconfirmed order still holds its price"
    failed = replace(base, state=GatewayState.FAILED.value, charge=None)
    assert charge(failed) == ("0.00000", "USD")
    partial = replace(base, state=OrderState.PARTIAL.value, client_charge=Decimal("0.2"))
    assert charge(partial) == ("0.20000", "USD")
