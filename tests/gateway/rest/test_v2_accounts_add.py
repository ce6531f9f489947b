"""``/api/v2 add`` for keys of client accounts: an order holds its client price on the account
before any provider is called; every refusal is a panel's text, with no order and no upstream
call, and leaves the account as it was."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from gateway.core import Gateway
from gateway.store import OrderRow
from tests.gateway.panels import Trio
from tests.gateway.rest.accounts import (
    Client,
    account_now,
    assert_ledger,
    client_price,
    open_account,
)
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2

NO_FUNDS = {"error": "Not enough funds on balance"}
SUSPENDED = {"error": "Your account is suspended"}
DAILY_CAP = {"error": "Daily spend limit reached"}
MONTHLY_CAP = {"error": "Monthly spend limit reached"}
UNAVAILABLE = {"error": "Service temporarily unavailable, please try again later"}


async def orders_of(gw: Gateway, client: Client) -> list[OrderRow]:
    return await gw.store.list_orders(client.account.name, None, None, 1000)


async def refused(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, shop: Client, fields: dict[str, Any]
) -> Any:
    """The answer to an `add` that must change nothing: no order, no upstream call, the
    account's funds as they were."""
    before = await account_now(gw, shop.account)
    orders = len(await orders_of(gw, shop))
    adds = sum(trio.calls("add").values())
    answer = await v2(client, "form", key=shop.key, action="add", **fields)
    assert len(await orders_of(gw, shop)) == orders, "no order"
    assert sum(trio.calls("add").values()) == adds, "no provider was called"
    after = await account_now(gw, shop.account)
    assert (after.balance, after.held) == (before.balance, before.held)
    return answer


async def test_an_order_holds_its_client_price_on_the_account(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    shop = await open_account(gw, "shop", funds=Decimal(50))
    price = await client_price(gw, shop.account, group, fields)
    answer = await v2(client, "form", key=shop.key, action="add", **fields)
    row = await gw.store.get_order(answer["order"])
    assert row.account_id == shop.account.id
    assert row.client_id == "shop"
    assert (row.client_price, row.client_currency, row.client_charge) == (price, "USD", None)
    assert row.quoted_cost is not None
    assert price > row.quoted_cost, "the markup"
    account = await account_now(gw, shop.account)
    assert (account.balance, account.held) == (Decimal(50) - price, price)
    assert sum(trio.calls("add").values()) == 1
    await assert_ledger(gw)


async def test_without_enough_funds_nothing_is_placed(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    empty = await open_account(gw, "empty")
    assert await refused(client, gw, trio, empty, fields) == NO_FUNDS
    price = await client_price(gw, empty.account, group, fields)
    short = await open_account(gw, "short", funds=price - Decimal("0.0001"))
    assert await refused(client, gw, trio, short, fields) == NO_FUNDS
    exact = await open_account(gw, "exact", funds=price)
    assert "order" in await v2(client, "form", key=exact.key, action="add", **fields)
    assert await refused(client, gw, trio, exact, order_fields(group, 1)) == NO_FUNDS
    await assert_ledger(gw)


async def test_a_credit_limit_lets_the_balance_go_below_zero_to_it(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    probe = await open_account(gw, "probe")
    price = await client_price(gw, probe.account, group, fields)
    shop = await open_account(gw, "shop", credit_limit=price)
    assert "order" in await v2(client, "form", key=shop.key, action="add", **fields)
    balance = await v2(client, "form", key=shop.key, action="balance")
    assert balance == {"balance": f"-{price:.5f}", "currency": "USD"}
    assert await refused(client, gw, trio, shop, order_fields(group, 1)) == NO_FUNDS
    await assert_ledger(gw)


async def test_a_suspended_account_places_nothing(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, "shop", funds=Decimal(1000))
    # An order first: the account was read for it, and its suspension must show at once.
    placed = await v2(client, "form", key=shop.key, action="add", **order_fields(group, 1))
    assert "order" in placed
    held = (await v2(client, "form", key=shop.key, action="balance"))["balance"]
    await gw.store.update_account(shop.account.id, state="suspended")
    assert await refused(client, gw, trio, shop, order_fields(group)) == SUSPENDED
    balance = await v2(client, "form", key=shop.key, action="balance")
    assert balance == {"balance": held, "currency": "USD"}, "its funds stay readable"
    await gw.store.update_account(shop.account.id, state="active")
    assert "order" in await v2(client, "form", key=shop.key, action="add", **order_fields(group))
    await assert_ledger(gw)


async def test_spend_caps_refuse_the_order_that_would_pass_them(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    probe = await open_account(gw, "probe")
    price = await client_price(gw, probe.account, group, fields)
    cap = price * Decimal("1.5")
    daily = await open_account(gw, "daily", funds=Decimal(1000), spend_cap_day=cap)
    monthly = await open_account(gw, "monthly", funds=Decimal(1000), spend_cap_month=cap)
    for n, (shop, text) in enumerate(((daily, DAILY_CAP), (monthly, MONTHLY_CAP))):
        first = order_fields(group, 2 * n)  # links of their own: panels refuse a repeated one
        assert "order" in await v2(client, "form", key=shop.key, action="add", **first)
        assert await refused(client, gw, trio, shop, order_fields(group, 2 * n + 1)) == text
        assert len(await orders_of(gw, shop)) == 1
    await assert_ledger(gw)


async def test_a_price_below_the_minimum_margin_is_an_unavailable_service(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    too_cheap = ({"service_id": group.id, "rate": "0.0001"},)
    shop = await open_account(
        gw, "shop", funds=Decimal(1000), min_margin=Decimal(10), overrides=too_cheap
    )
    assert await refused(client, gw, trio, shop, fields) == UNAVAILABLE
    events = [e for e in await gw.store.pending_outbox(100) if e.type == "service.margin_breached"]
    assert len(events) == 1
    assert "order" in await v2(client, "form", key=keys.alice, action="add", **fields), (
        "a key without an account is not priced"
    )
    await assert_ledger(gw)


async def test_a_read_key_of_an_account_cannot_place(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    reader = await open_account(gw, "reader", funds=Decimal(1000), scope="read")
    answer = await refused(client, gw, trio, reader, order_fields(group))
    assert answer == {"error": "This action is Invalid"}
    await assert_ledger(gw)


async def test_a_refused_add_leaves_its_idempotency_key_free_for_the_retry(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    shop = await open_account(gw, "shop")
    header = {"Idempotency-Key": "cart-7"}
    assert await v2(client, "form", header, key=shop.key, action="add", **fields) == NO_FUNDS
    price = await client_price(gw, shop.account, group, fields)
    await gw.store.top_up(shop.account.id, price, reason="paid the invoice")
    placed = await v2(client, "form", header, key=shop.key, action="add", **fields)
    assert set(placed) == {"order"}
    again = await v2(client, "json", header, key=shop.key, action="add", **fields)
    assert again == placed, "the retry gets the key's order, held once"
    account = await account_now(gw, shop.account)
    assert (account.balance, account.held) == (Decimal(0), price)
    assert sum(trio.calls("add").values()) == 1
    await assert_ledger(gw)


async def test_a_keys_own_routing_policy_routes_its_v2_orders(
    client: httpx.AsyncClient, gw: Gateway
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, "shop", funds=Decimal(50))
    key = await gw.store.verify_api_key(shop.key)
    assert key is not None
    await gw.store.set_api_key_routing_policy(key.id, "fastest")
    answer = await v2(client, "form", key=shop.key, action="add", **order_fields(group))
    routed = (await gw.store.order_events(answer["order"]))[0]
    assert routed.data is not None
    assert (routed.data["policy"], routed.data["policy_source"]) == ("fastest", "key")
    await assert_ledger(gw)
