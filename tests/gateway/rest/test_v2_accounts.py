"""``/api/v2 balance`` and ``services`` for keys of client accounts: each client sees its own
funds and its own prices, never the operator's or another client's; keys without an account
answer as before."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

import httpx

from gateway.catalog import listed_rate
from gateway.core import Gateway
from gateway.rest.v2_shapes import GroupView, money_text, rate_text
from tests.gateway.rest.accounts import account_now, assert_ledger, client_price, open_account
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import ENCODINGS, order_fields, shared_group, v2

NO_CLIENT_BALANCE = {"error": "Balance is not available for this API key"}


def up(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.0001"), rounding=ROUND_CEILING)


async def cheapest_now(gw: Gateway) -> dict[int, Decimal]:
    """Each service's listed cost per 1000: what the dearest order in its range costs at the
    cheapest member able to take it now (`gateway.catalog.listed_rate`)."""
    snapshot = await gw.catalog.snapshot()
    states = await gw.provider_states()
    views = [v for g in snapshot.groups.values() if (v := GroupView.of(g, states))]
    return {v.group.id: listed_rate(v.members) for v in views}


def by_service(answer: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {entry["service"]: entry for entry in answer}


async def test_an_account_key_sees_its_own_funds_not_held_and_in_its_currency(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    shop = await open_account(gw, "shop", funds=Decimal("100"))
    other = await open_account(gw, "other", funds=Decimal("7.125"))
    for encoding in ENCODINGS:
        assert await v2(client, encoding, key=shop.key, action="balance") == {
            "balance": "100.00000", "currency": "USD",
        }  # fmt: skip
    assert await v2(client, "form", key=other.key, action="balance") == {
        "balance": "7.12500", "currency": "USD",
    }  # fmt: skip

    group = await shared_group(gw)
    fields = order_fields(group)
    price = await client_price(gw, shop.account, group, fields)
    placed = await v2(client, "form", key=shop.key, action="add", **fields)
    assert isinstance(placed["order"], int), placed
    after = await v2(client, "form", key=shop.key, action="balance")
    assert after == {"balance": money_text(Decimal(100) - price), "currency": "USD"}, (
        "the balance is the funds not held for open orders"
    )
    account = await account_now(gw, shop.account)
    assert (account.balance, account.held) == (Decimal(100) - price, price)
    assert await v2(client, "form", key=other.key, action="balance") == {
        "balance": "7.12500", "currency": "USD",
    }, "another account's order is not this one's"  # fmt: skip
    await assert_ledger(gw)


async def test_a_read_key_of_an_account_reads_its_balance_too(
    client: httpx.AsyncClient, gw: Gateway
) -> None:
    reader = await open_account(gw, "reader-shop", funds=Decimal("3"), scope="read")
    answer = await v2(client, "form", key=reader.key, action="balance")
    assert answer == {"balance": "3.00000", "currency": "USD"}
    await assert_ledger(gw)


async def test_keys_without_an_account_answer_as_before(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    await open_account(gw, "shop", funds=Decimal("100"))
    assert await v2(client, "form", key=keys.alice, action="balance") == NO_CLIENT_BALANCE
    assert await v2(client, "form", key=keys.reader, action="balance") == NO_CLIENT_BALANCE
    operator = await v2(client, "form", key=keys.admin, action="balance")
    total = (await gw.balances.fetch()).total
    assert operator == {"balance": money_text(total.amount), "currency": total.currency}
    assert Decimal(operator["balance"]) > 1000, "the operator's funds at its panels"
    await assert_ledger(gw)


async def test_an_account_key_sees_its_price_list_rates_never_the_wholesale_ones(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    twenty = await open_account(gw, "twenty", markup=Decimal(20))
    fifty = await open_account(gw, "fifty", markup=Decimal(50), scope="read")
    costs = await cheapest_now(gw)
    wholesale = by_service(await v2(client, "form", key=keys.admin, action="services"))
    own = by_service(await v2(client, "form", key=keys.alice, action="services"))
    assert {s: e["rate"] for s, e in wholesale.items()} == {
        s: rate_text(c) for s, c in costs.items()
    }, "operator keys and keys without an account keep wholesale rates"
    assert own == wholesale

    for client_, markup in ((twenty, Decimal("1.2")), (fifty, Decimal("1.5"))):
        for encoding in ENCODINGS:
            seen = by_service(await v2(client, encoding, key=client_.key, action="services"))
            assert set(seen) == set(wholesale)
            for service, entry in seen.items():
                assert entry["rate"] == rate_text(up(costs[service] * markup)), service
                assert {**entry, "rate": None} == {**wholesale[service], "rate": None}
    seen = by_service(await v2(client, "form", key=twenty.key, action="services"))
    dearer = [s for s, e in seen.items() if Decimal(e["rate"]) > Decimal(wholesale[s]["rate"])]
    assert len(dearer) == len([c for c in costs.values() if c > 0]) > 0
    await assert_ledger(gw)


async def test_overrides_and_a_changed_price_list_show_at_once(
    client: httpx.AsyncClient, gw: Gateway
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, "shop", overrides=({"service_id": group.id, "rate": "123.45"},))
    seen = by_service(await v2(client, "form", key=shop.key, action="services"))
    assert seen[group.id]["rate"] == "123.45"
    prices = {"markup_percent": "10", "min_margin_percent": "0", "overrides": []}
    await gw.store.update_account(shop.account.id, price_list=prices)
    costs = await cheapest_now(gw)
    seen = by_service(await v2(client, "form", key=shop.key, action="services"))
    assert seen[group.id]["rate"] == rate_text(up(costs[group.id] * Decimal("1.1"))), (
        "rates are computed from the account as it is now, never from an earlier answer"
    )
    await assert_ledger(gw)


async def test_a_service_below_the_accounts_margin_is_left_out_or_repriced(
    client: httpx.AsyncClient, gw: Gateway
) -> None:
    group = await shared_group(gw)
    too_cheap = ({"service_id": group.id, "rate": "0.0001"},)
    skip = await open_account(gw, "skip", min_margin=Decimal(10), overrides=too_cheap)
    reprice = await open_account(
        gw, "reprice", min_margin=Decimal(10), overrides=too_cheap, policy="reprice"
    )
    costs = await cheapest_now(gw)
    skipped = by_service(await v2(client, "form", key=skip.key, action="services"))
    assert group.id not in skipped, "unavailable to this account: not listed"
    assert set(skipped) == set(costs) - {group.id}
    repriced = by_service(await v2(client, "form", key=reprice.key, action="services"))
    assert repriced[group.id]["rate"] == rate_text(up(costs[group.id] * Decimal("1.1"))), (
        "the floor: cost plus the minimum margin"
    )
    await assert_ledger(gw)
