"""The response cache keeps each client account's prices to itself: two accounts with different
markups sending the same catalog query each read their own rates, first and from the cache, and a
new price list is seen at once. The ledger adds up after every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from decimal import Decimal

import pytest

from gateway.auth import principal_of
from gateway.core import Gateway
from gateway.graphql.response_cache import ResponseCache
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Api, ApiFactory
from tests.gateway.graphql.test_accounts import UPDATE, low_and_high
from tests.gateway.graphql.test_accounts_orders import marked_up

SERVICES = "{ services(first: 20) { nodes { id rate { amount } } } }"


@pytest.fixture(autouse=True)
async def ledger_adds_up(gw: Gateway) -> AsyncIterator[None]:
    yield
    assert await gw.store.ledger_problems() == []


Rates = Callable[[Api], Awaitable[dict[int, Decimal]]]


async def services_rates(client: Api) -> dict[int, Decimal]:
    nodes = (await client.data(SERVICES))["services"]["nodes"]
    return {n["id"]: Decimal(n["rate"]["amount"]) for n in nodes}


async def each_sees_its_own_rates(
    api: ApiFactory, admin: Api, gw: Gateway, rates: Rates, operator: Api
) -> None:
    """Accounts priced 10% and 50% over cost and an `operator` ask for `rates` twice, in
    turns (the second answers come from whatever the first kept), each seeing its own; then
    the low account's new price list shows at once and the other's rates stay."""
    low, high = await low_and_high(api, admin)
    groups = (await gw.catalog.snapshot()).groups

    def expected(markup: str, ids: Iterable[int]) -> dict[int, Decimal]:
        return {i: marked_up(groups[i], markup) for i in ids}

    for _ in range(2):
        seen_low, seen_high = await rates(low), await rates(high)
        assert seen_low == expected("10", seen_low)
        assert seen_high == expected("50", seen_high)
        wholesale = await rates(operator)
        assert wholesale == {i: groups[i].members[0].rate for i in wholesale}

    changed = {"priceList": {"markupPercent": "25"}}
    updated = await admin.data(UPDATE, {"name": "low", "input": changed})
    assert updated["updateAccount"]["__typename"] == "AccountSuccess"
    seen_low = await rates(low)
    assert seen_low == expected("25", seen_low)
    assert await rates(high) == seen_high


async def test_accounts_never_see_each_others_cached_prices(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    await each_sees_its_own_rates(api, api(keys.admin), gw, services_rates, api(keys.reader))


async def test_cache_keys_name_the_account_and_its_prices(gw: Gateway) -> None:
    cache = ResponseCache(ttl=60)
    body = {"query": SERVICES}
    low = await gw.store.create_account("low", currency="USD", price_list={"markup_percent": "10"})
    high = await gw.store.create_account(
        "high", currency="USD", price_list={"markup_percent": "50"}
    )
    row, _ = await gw.store.create_api_key("k", "low", ["read"], account_id=low.id)
    principal = principal_of(row)
    keys_seen = {
        cache.key(body, principal, None), cache.key(body, principal, low),
        cache.key(body, principal, high),
    }  # fmt: skip
    assert len(keys_seen) == 3
    repriced = await gw.store.update_account(low.id, price_list={"markup_percent": "11"})
    assert cache.key(body, principal, repriced) not in keys_seen
    await gw.store.top_up(low.id, Decimal(5), reason=None)
    funded_now = await gw.store.account_by_id(low.id)
    assert funded_now is not None
    # Funds move all the time; the cached prices stay valid while the price list stays.
    assert cache.key(body, principal, funded_now) == cache.key(body, principal, repriced)
