"""Balances, providers and the price-change feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway.core import Gateway
from gateway.store import PriceChange, PriceChangeKind
from gateway.store.tables import catalog_syncs
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import EUR_TO_USD
from tests.gateway.workers.helpers import eventually


async def test_balances_in_provider_and_base_currency(api: ApiFactory, keys: Keys) -> None:
    query = """{ balances { total { amount currency }
        providers { provider balance { amount currency } baseBalance { amount currency }
                    fetchedAt error low } } }"""
    balances = (await api(keys.ops).data(query))["balances"]
    by_name = {b["provider"]: b for b in balances["providers"]}
    assert set(by_name) == {"alpha", "beta", "gamma"}
    gamma = by_name["gamma"]
    assert gamma["balance"]["currency"] == "EUR"
    assert (
        Decimal(gamma["baseBalance"]["amount"]) == Decimal(gamma["balance"]["amount"]) * EUR_TO_USD
    )
    assert all(b["fetchedAt"] and b["error"] is None for b in by_name.values())
    total = sum(Decimal(b["baseBalance"]["amount"]) for b in by_name.values())
    assert balances["total"] == {"amount": str(total), "currency": "USD"}


async def test_providers_show_health_sync_and_services(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    query = """{ providers { name health consecutiveFailures cooldownSeconds lastError
        serviceCount lastSync { provider ok services error } syncedAt
        balance { provider low } } }"""
    providers = (await api(keys.ops).data(query))["providers"]
    snapshot = await gw.catalog.snapshot()
    synced = await gw.catalog.synced_at()
    assert [p["name"] for p in providers] == ["alpha", "beta", "gamma"]
    for p in providers:
        assert p["health"] == "CLOSED"
        assert p["cooldownSeconds"] == 0
        count = sum(1 for o in snapshot.offers.values() if o.provider == p["name"])
        assert p["serviceCount"] == count > 0
        assert p["lastSync"]["ok"] is True
        assert p["lastSync"]["services"] == count
        when = synced[p["name"]]
        assert when is not None
        assert datetime.fromisoformat(p["syncedAt"]) == when
        assert p["balance"]["provider"] == p["name"]
    gw.health.failure("beta", "HTTP 502")
    gw.health.failure("beta", "HTTP 502")
    gw.health.failure("beta", "HTTP 502")
    beta = (await api(keys.ops).data(query))["providers"][1]
    assert beta["health"] == "OPEN"
    assert beta["cooldownSeconds"] > 0
    assert beta["consecutiveFailures"] == 3
    assert beta["lastError"] == "HTTP 502"


async def test_an_instance_that_leaves_the_syncs_to_workers_shows_when_they_synced(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    """A worker's sync is in the ledger; an instance that never synced itself reads it there
    (within the second its sync times are trusted for)."""
    query = "{ providers { name lastSync { ok } syncedAt } }"
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    async with gw.store.transaction() as tx:
        await tx.execute(catalog_syncs.update().values(synced_at=at))
    gw.catalog.last_sync.clear()  # this instance's own syncs: none
    shown: list[tuple[object, datetime | None]] = []

    async def worker_sync_shown() -> bool:
        providers = (await api(keys.ops).data(query))["providers"]
        shown[:] = [
            (p["lastSync"], p["syncedAt"] and datetime.fromisoformat(p["syncedAt"]))
            for p in providers
        ]
        return shown == [(None, at)] * 3

    await eventually(worker_sync_shown, within=5)


PRICES = """query($since: DateTime, $first: Int, $after: String) {
  priceChanges(since: $since, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id provider providerServiceId kind oldRate newRate currency at serviceId
            service { id } } } }"""


async def test_price_changes_feed(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    snapshot = await gw.catalog.snapshot()
    offer = next(o for o in snapshot.offers.values() if o.provider == "alpha")
    old = datetime.now(UTC) - timedelta(days=2)
    now = datetime.now(UTC)
    await gw.store.record_price_changes(
        [
            PriceChange("alpha", offer.service.id, PriceChangeKind.CHANGED, Decimal("1.10"),
                        Decimal("1.25"), "USD", old),
            PriceChange("beta", "gone-1", PriceChangeKind.REMOVED, Decimal("2"), None, "USD", now),
            PriceChange("gamma", "new-1", PriceChangeKind.ADDED, None, Decimal("0.5"), "EUR", now),
        ]
    )  # fmt: skip
    reader = api(keys.ops)
    first = (await reader.data(PRICES, {"first": 2}))["priceChanges"]
    assert [n["kind"] for n in first["nodes"]] == ["CHANGED", "REMOVED"]
    changed = first["nodes"][0]
    assert Decimal(changed["oldRate"]) == Decimal("1.10")
    assert Decimal(changed["newRate"]) == Decimal("1.25")
    assert changed["serviceId"] == snapshot.group_of[offer.id]
    assert changed["service"] == {"id": changed["serviceId"]}
    assert first["nodes"][1]["service"] is None
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await reader.data(PRICES, {"first": 2, "after": first["pageInfo"]["endCursor"]})
    assert [n["kind"] for n in rest["priceChanges"]["nodes"]] == ["ADDED"]
    assert rest["priceChanges"]["pageInfo"]["hasNextPage"] is False
    since = (now - timedelta(hours=1)).isoformat()
    recent = await reader.data(PRICES, {"since": since})
    assert [n["provider"] for n in recent["priceChanges"]["nodes"]] == ["beta", "gamma"]
    # A moment without a zone is UTC, as everywhere in the API; a day alone is its midnight.
    naive = (now - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert await reader.data(PRICES, {"since": naive}) == recent
    today = await reader.data(PRICES, {"since": f"{old + timedelta(days=1):%Y-%m-%d}"})
    assert [n["provider"] for n in today["priceChanges"]["nodes"]] == ["beta", "gamma"]
    # A zone that takes the moment out of the calendar is the variable's error, not ours.
    beyond = await reader.execute(PRICES, {"since": "9999-12-31T23:59:59-14:00"})
    assert beyond["data"] is None
    assert "after year 9999" in beyond["errors"][0]["message"]
    assert "extensions" not in beyond["errors"][0]
