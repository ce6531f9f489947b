"""A client account's ``/api/v2 services`` follows its account on the very next call, whoever
changed it: the admin API of this app, or the store of another process on the same database
(another instance, the command line with ``--config``). On SQLite an unchanged database is
proved unchanged without reading the account (`gateway.account_reads`), so calls in a row read
it once; on PostgreSQL every call reads it."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from gateway.account_reads import AccountReads
from gateway.config import Settings
from gateway.context import AppContext
from gateway.core import Gateway
from gateway.rest.v2_shapes import rate_text
from gateway.shared_reads import data_version
from gateway.store import Store
from tests.gateway.panels import Trio
from tests.gateway.rest.accounts import open_account
from tests.gateway.rest.conftest import Keys, rest_settings
from tests.gateway.rest.helpers import v2
from tests.gateway.rest.test_v2_accounts import by_service, cheapest_now, up

UPDATE = """
mutation($name: String!, $input: UpdateAccountInput!) {
  updateAccount(name: $name, input: $input) { __typename }
}
"""


@pytest.fixture(params=["redis", "memory"])
def settings(
    request: pytest.FixtureRequest, trio: Trio, database_url: str, redis_url: str, namespace: str
) -> Settings:
    """With the shared Redis cache and with the in-process one: the proof is the database's."""
    shared = redis_url if request.param == "redis" else None
    return rest_settings(trio, database_url, shared, namespace)


def reads_of(app: Starlette) -> AccountReads:
    context = app.state.context
    assert isinstance(context, AppContext)
    return context.accounts


async def rates(client: httpx.AsyncClient, key: str, encoding: str = "form") -> dict[int, str]:
    answer = await v2(client, encoding, key=key, action="services")
    return {service: entry["rate"] for service, entry in by_service(answer).items()}


async def marked_up(gw: Gateway, percent: str) -> dict[int, str]:
    factor = 1 + Decimal(percent) / 100
    return {s: rate_text(up(cost * factor)) for s, cost in (await cheapest_now(gw)).items()}


async def test_a_price_change_through_the_admin_api_shows_on_the_next_call(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    shop = await open_account(gw, "shop", markup=Decimal(20))
    for encoding in ("form", "query", "form"):
        assert await rates(client, shop.key, encoding) == await marked_up(gw, "20")
    changed = {"priceList": {"markupPercent": "50"}}
    answer = await client.post(
        "/graphql",
        json={"query": UPDATE, "variables": {"name": "shop", "input": changed}},
        headers={"Authorization": f"Bearer {keys.admin}"},
    )
    assert answer.json() == {"data": {"updateAccount": {"__typename": "AccountSuccess"}}}
    assert await rates(client, shop.key) == await marked_up(gw, "50")


async def test_a_price_change_by_another_process_store_shows_on_the_next_call(
    client: httpx.AsyncClient, gw: Gateway, database_url: str
) -> None:
    shop = await open_account(gw, "shop", markup=Decimal(20))
    assert await rates(client, shop.key) == await marked_up(gw, "20")
    assert await rates(client, shop.key) == await marked_up(gw, "20")
    # What `smm-gateway accounts --config` does: a store of its own on the same database.
    async with await Store.connect(database_url) as other:
        prices = {"markup_percent": "35", "min_margin_percent": "0", "overrides": []}
        await other.update_account(shop.account.id, price_list=prices)
        assert await rates(client, shop.key) == await marked_up(gw, "35")
        await other.update_account(shop.account.id, price_list={**prices, "markup_percent": "5"})
    assert await rates(client, shop.key, "query") == await marked_up(gw, "5")


async def test_calls_in_a_row_read_the_account_once_on_sqlite_and_each_time_on_postgresql(
    client: httpx.AsyncClient, gw: Gateway, app: Starlette
) -> None:
    shop = await open_account(gw, "shop", markup=Decimal(20))
    reads = reads_of(app)
    first = await rates(client, shop.key)
    # The first calls' own writes (when the key was last used...) are commits too.
    assert await rates(client, shop.key) == first
    sqlite = gw.store.dialect == "sqlite"
    version = data_version(gw.store)
    for _ in range(20):
        # The served app's heartbeat and jobs commit too: the claim is about five calls in a
        # row while nothing commits, so wait for such a window (proved by the same check).
        seen = version() if version is not None else None
        assert await rates(client, shop.key) == first
        before = reads.reads
        for _ in range(5):
            assert await rates(client, shop.key) == first
        if version is None or version() == seen:
            break
    else:
        pytest.fail("no six calls in a row without another commit in 20 tries")
    assert reads.reads - before == (0 if sqlite else 5)
    # Any commit at all (here a top-up, which leaves the prices alone) costs one read again.
    await gw.store.top_up(shop.account.id, Decimal(5), reason="test")
    assert await rates(client, shop.key) == first
    assert reads.reads - before == (1 if sqlite else 6)


async def test_an_unchanged_database_gives_the_very_row_read_before(
    gw: Gateway, database_url: str
) -> None:
    shop = await open_account(gw, "shop")
    reads = AccountReads(gw.store)
    first = await reads.get(shop.account.id)
    again = await reads.get(shop.account.id)
    assert first is not None
    assert again is not None
    assert (again is first) == (gw.store.dialect == "sqlite")
    async with await Store.connect(database_url) as other:
        await other.update_account(shop.account.id, state="suspended")
    after = await reads.get(shop.account.id)
    assert after is not None
    assert after is not first
    assert after.state == "suspended"


async def test_one_check_serves_every_request_of_a_turn_of_the_event_loop(gw: Gateway) -> None:
    shop = await open_account(gw, "shop")
    version, checks = [7], [0]

    def check() -> int:
        checks[0] += 1
        return version[0]

    reads = AccountReads(read=gw.store.account_by_id, version=check)
    first = await reads.get(shop.account.id)
    assert (reads.reads, checks[0]) == (1, 1)
    await asyncio.sleep(0)  # the next turn: the check is made again
    rows = await asyncio.gather(*(reads.get(shop.account.id) for _ in range(10)))
    assert all(row is first for row in rows)
    assert (reads.reads, checks[0]) == (1, 2), "ten requests of one turn, one check, no read"
    version[0] = 8  # a commit somewhere
    await asyncio.sleep(0)
    changed = await reads.get(shop.account.id)
    assert changed is not first
    assert reads.reads == 2
