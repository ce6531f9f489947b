"""Every page of the console shows real data from a gateway on simulated panels, in Chromium,
asking nothing of any host but the gateway and running no script the policy blocks."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.async_api import Browser, Request, Route

from gateway.app import create_app
from gateway.config import Settings
from gateway.core import Gateway
from providers.simulator import Fault, FaultKind
from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, screenshot, signed_in
from tests.gateway.console.conftest import Keys
from tests.gateway.graphql.server import ApiFactory, Server, serve
from tests.gateway.panels import Trio
from tests.gateway.unconfirmed import fields
from tests.gateway.workers.helpers import eventually


async def _a_delivery_failed(gw: Gateway, endpoint_id: int) -> bool:
    rows = await gw.store.list_webhook_deliveries(endpoint_id, limit=50)
    return any(row.state == "failed" for row in rows)


async def test_the_overview_shows_providers_balances_orders_and_failing_webhooks(
    server: Server, gw: Gateway, keys: Keys, browser: Browser, http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:  # fmt: skip
    endpoint = await data.failing_endpoint(http, server, keys.admin)
    placed = await data.orders(gw, "shop", 3)
    await eventually(lambda: _a_delivery_failed(gw, endpoint["id"]), within=20)

    gw.catalog.last_sync.pop("gamma")  # as if a worker synced it: the ledger says when
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    providers = page.get_by_role("table", name="Providers")
    await providers.wait_for(timeout=TIMEOUT)
    rows = providers.locator("tbody tr")
    assert await rows.count() == 3
    texts = {(await row.locator("td").first.inner_text()): await row.inner_text()
             for row in await rows.all()}  # fmt: skip
    assert set(texts) == {"alpha", "beta", "gamma"}
    assert "CLOSED" in texts["alpha"]
    assert "USD" in texts["alpha"]
    assert "EUR" in texts["gamma"]
    assert "LOW FUNDS" in texts["gamma"]
    assert "LOW FUNDS" not in texts["alpha"]
    assert "services in" in texts["beta"], "its catalog sync"
    assert "ago, elsewhere" in texts["gamma"], "synced by another process"

    chart = page.get_by_role("img", name="Orders by state per day (UTC)")
    await chart.wait_for(timeout=TIMEOUT)
    assert await chart.locator("rect").count() >= 1
    summary = await page.get_by_role("region", name="Orders by state").inner_text()
    assert f"the latest {len(placed)} orders" in summary
    assert "PENDING" in summary

    quality = page.get_by_role("table", name="Provider quality")
    await quality.wait_for(timeout=TIMEOUT)
    assert await quality.locator("tbody tr").count() == 3

    failing = page.get_by_role("table", name="Failing webhook endpoints")
    await failing.wait_for(timeout=TIMEOUT)
    assert data.CLOSED_PORT in await failing.inner_text()
    none_open = page.get_by_role("region", name="Open UNCONFIRMED orders")
    await none_open.get_by_text("None").wait_for(timeout=TIMEOUT)
    await screenshot(console, "overview", tmp_path)
    assert console.troubles() == ([], [])


async def test_orders_catalog_accounts_and_webhooks_pages_show_the_gateways_data(
    server: Server, gw: Gateway, keys: Keys, browser: Browser, http: httpx.AsyncClient,
    api: ApiFactory,
) -> None:  # fmt: skip
    endpoint = await data.failing_endpoint(http, server, keys.admin)
    placed = await data.orders(gw, "shop", 2)
    await data.account(api(keys.admin), "acme", "250.50")
    await eventually(lambda: _a_delivery_failed(gw, endpoint["id"]), within=20)
    console = await signed_in(browser, server, keys.admin)
    page = console.page

    await console.go("#/orders")
    table = page.get_by_role("table", name="Orders")
    await table.wait_for(timeout=TIMEOUT)
    for order in placed:
        await table.get_by_role("link", name=f"#{order.id}", exact=True).wait_for()
    assert "shop" in await table.inner_text()

    await console.go("#/catalog")
    search = page.get_by_label("Search")
    await search.wait_for(timeout=TIMEOUT)
    services = page.get_by_role("table", name="Services")
    everything = await services.locator("tbody tr").count()
    assert everything > 10
    snapshot = await gw.catalog.snapshot()
    group = next(g for g in snapshot.groups.values() if len(g.members) == 3)
    member = group.members[0]
    await search.fill(f"{group.id} {member.provider}")
    await page.locator(f'[data-service="{group.id}"]').wait_for(timeout=TIMEOUT)
    assert await services.locator("tbody tr").count() < everything
    await page.locator(f'[data-service="{group.id}"]').click()
    members = page.get_by_role("table", name="Members")
    await members.wait_for(timeout=TIMEOUT)
    shown = await members.inner_text()
    assert {"alpha", "beta", "gamma"} <= set(shown.split())
    assert member.service.id in shown
    await search.fill("no service is called this")
    await page.get_by_text("0 of").wait_for(timeout=TIMEOUT)

    await console.go("#/accounts")
    accounts = page.get_by_role("table", name="Accounts")
    await accounts.wait_for(timeout=TIMEOUT)
    assert "250.5 USD" in await accounts.inner_text()
    await page.locator('[data-account="acme"]').click()
    movements = page.get_by_role("table", name="Movements")
    await movements.wait_for(timeout=TIMEOUT)
    assert "first payment" in await movements.inner_text()
    await page.get_by_text("Margin report").wait_for()

    await console.go("#/webhooks")
    endpoints = page.get_by_role("table", name="Webhook endpoints")
    await endpoints.wait_for(timeout=TIMEOUT)
    assert "shop backend" in await endpoints.inner_text()
    await endpoints.get_by_role("button", name="Deliveries").click()
    deliveries = page.get_by_role("table", name="Deliveries")
    await deliveries.wait_for(timeout=TIMEOUT)
    assert "failed" in await deliveries.inner_text()
    before = await _count_deliveries(gw, endpoint["id"])
    await deliveries.get_by_role("button", name="Redeliver").first.click()
    await page.get_by_role("status").filter(has_text="queued").wait_for(timeout=TIMEOUT)
    assert await _count_deliveries(gw, endpoint["id"]) == before + 1

    await endpoints.get_by_role("button", name="Disable").click()
    await endpoints.get_by_role("button", name="Enable").wait_for(timeout=TIMEOUT)
    assert not (await gw.store.list_webhook_endpoints())[0].enabled
    await endpoints.get_by_role("button", name="Rotate secret").click()
    secret = await page.locator("#new-secret").inner_text()
    assert secret.startswith("whsec_")
    assert console.troubles() == ([], [])


async def _count_deliveries(gw: Gateway, endpoint_id: int) -> int:
    return len(await gw.store.list_webhook_deliveries(endpoint_id, limit=500))


async def test_a_provider_whose_panel_fails_shows_its_open_breaker(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser
) -> None:
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    providers = page.get_by_role("table", name="Providers")
    await providers.wait_for(timeout=TIMEOUT)

    # The cheapest panel throttles every order: three in a row open its breaker, and each
    # order fails over to the next panel.
    service, order_fields = await fields(gw)
    first = (await gw.quote(service, order_fields)).candidates[0].offer.provider
    trio.sims[first].faults.add(Fault(FaultKind.THROTTLE, actions=frozenset({"add"})))
    for n in range(3):
        placed = await gw.place("shop", service, {**order_fields, "link": f"https://x.com/{n}"})
        assert placed.provider != first
    row = providers.locator("tbody tr").filter(has_text=first)
    # The overview reads the providers again by itself.
    await row.get_by_text("OPEN", exact=True).wait_for(timeout=TIMEOUT)
    assert "s" in await row.locator("td").nth(3).inner_text(), "its cooldown"
    assert await row.locator("td").nth(4).inner_text() != "—", "its last error"
    assert console.troubles() == ([], [])


async def test_the_catalog_asks_for_smaller_pages_when_a_page_would_cost_too_much(
    settings: Settings, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    """A page of services costs more the more members they have: refused for its cost, the
    catalog asks again with half the page until the gateway allows it, and shows every
    service."""
    cheap = settings.model_copy(
        update={"api": settings.api.model_copy(update={"graphql_max_cost": 1500})}
    )
    async with serve(create_app(cheap, gateway=gw)) as small:
        console = await signed_in(browser, small, keys.admin)
        page = console.page
        sizes: list[int] = []

        def asked(request: Request) -> None:
            if request.method == "POST" and "query Catalog" in (request.post_data or ""):
                sizes.append(json.loads(request.post_data or "{}")["variables"]["first"])

        page.on("request", asked)
        await console.go("#/catalog")
        await page.get_by_role("table", name="Services").wait_for(timeout=TIMEOUT)
        listed = len((await gw.catalog.snapshot()).groups)
        await page.get_by_text(f"{listed} of {listed} services").wait_for(timeout=TIMEOUT)
        assert sizes[0] == 500
        assert min(sizes) < 500
        assert console.troubles() == ([], [])


async def test_the_overview_says_when_it_can_no_longer_read_the_providers(
    server: Server, keys: Keys, browser: Browser
) -> None:
    """The providers are read again every 10 s: a reading that fails says so over the figures
    last read, and the next one that succeeds takes the warning away."""
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    board = page.get_by_role("region", name="Providers")
    await board.get_by_role("table", name="Providers").wait_for(timeout=TIMEOUT)

    async def unreachable(route: Route) -> None:
        if "query Providers" in (route.request.post_data or ""):
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    await page.route("**/graphql", unreachable)
    warning = board.get_by_role("alert").filter(has_text="could not be reached")
    await warning.wait_for(timeout=TIMEOUT)
    assert "out of date" in await warning.inner_text()
    assert await board.get_by_role("table", name="Providers").count() == 1
    await page.unroute("**/graphql", unreachable)
    await warning.wait_for(state="detached", timeout=TIMEOUT)
    assert console.troubles() == ([], [])
