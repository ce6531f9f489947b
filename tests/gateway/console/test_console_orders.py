"""The Orders pages as an operator uses them: filter the list, open an order, resolve an
UNCONFIRMED one (the ledger records it), watch it progress live, refill and cancel."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Route

from gateway.core import Gateway
from gateway.routing import Need
from providers.simulator import FaultKind
from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, open_console, screenshot, sign_in, signed_in
from tests.gateway.console.conftest import Keys
from tests.gateway.graphql.server import Server
from tests.gateway.graphql.test_split_children import split_for_account
from tests.gateway.panels import Trio, shared_group
from tests.gateway.syncing import sync_statuses
from tests.gateway.unconfirmed import panel_order_id, unconfirmed
from tests.gateway.workers.helpers import eventually

FORTNIGHT = 14 * 24 * 3600


async def test_filter_orders_resolve_an_unconfirmed_one_and_watch_it_progress(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser, tmp_path: Path
) -> None:
    shop = await data.orders(gw, "shop", 2)
    other = await data.orders(gw, "other", 1)
    lost = await unconfirmed(gw, trio, FaultKind.DROP, n=7)
    console = await signed_in(browser, server, keys.admin)
    page = console.page

    # The overview lists it with its age.
    waiting = page.get_by_role("table", name="Open UNCONFIRMED orders")
    await waiting.get_by_role("link", name=f"#{lost.id}").wait_for(timeout=TIMEOUT)

    await console.go("#/orders")
    table = page.get_by_role("table", name="Orders")
    rows = table.locator("tbody tr")
    await table.wait_for(timeout=TIMEOUT)
    assert await rows.count() == 4
    await page.get_by_label("Client").fill("shop")
    await page.get_by_label("Client").press("Enter")
    await page.get_by_text("2 of 2 loaded orders").wait_for(timeout=TIMEOUT)
    firsts = [await row.locator("td").first.inner_text() for row in await rows.all()]
    assert sorted(firsts) == sorted(f"#{o.id}" for o in shop)

    await page.get_by_label("Client").fill("")
    await page.get_by_label("State").select_option("UNCONFIRMED")
    await page.get_by_text("1 of 1 loaded orders").wait_for(timeout=TIMEOUT)
    assert await table.get_by_role("link").inner_text() == f"#{lost.id}"

    # Filters that run in the page: provider, link, service.
    await page.get_by_label("State").select_option("")
    await page.get_by_text("4 of 4 loaded orders").wait_for(timeout=TIMEOUT)
    await page.get_by_label("Link").fill("/p/7")
    await page.get_by_text("1 of 4 loaded orders").wait_for(timeout=TIMEOUT)
    await page.get_by_label("Link").fill("")
    await page.get_by_label("Provider").fill(other[0].provider or "")
    expected = sum(1 for o in [*shop, *other, lost] if o.provider == other[0].provider)
    await page.get_by_text(f"{expected} of 4 loaded orders").wait_for(timeout=TIMEOUT)
    await page.get_by_label("Provider").fill("")
    await page.get_by_label("Service").fill("999999")
    await page.get_by_text("0 of 4 loaded orders").wait_for(timeout=TIMEOUT)
    await page.get_by_label("Service").fill("")

    await table.get_by_role("link", name=f"#{lost.id}", exact=True).click()
    await page.get_by_role("heading", name="Resolve this UNCONFIRMED order").wait_for(
        timeout=TIMEOUT
    )
    assert "order" in page.url
    pid = panel_order_id(trio, lost.provider or "")
    await page.get_by_label("Provider's order id").fill(pid)
    await page.get_by_role("button", name="Placed", exact=True).click()
    done = page.get_by_role("status").filter(has_text="Resolved by api-key:admin#")
    await done.wait_for(timeout=TIMEOUT)
    assert "now PENDING" in await done.inner_text()
    stored = await gw.store.get_order(lost.id)
    assert stored.state == "PENDING"
    assert stored.provider_order_id == pid
    history = page.get_by_role("table", name="History")
    await history.get_by_role("cell", name="resolved", exact=True).wait_for(timeout=TIMEOUT)
    assert await page.locator("#order-status").inner_text() == "PENDING"

    # The order finishes at its panel: the page follows without a reload.
    await eventually(lambda: server.subscribers() >= 1, within=20)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    final = (await gw.store.get_order(lost.id)).state
    assert final != "PENDING"
    await page.locator("#order-status").filter(has_text=final).wait_for(timeout=TIMEOUT)
    await screenshot(console, "order", tmp_path)
    assert console.troubles() == ([], [])


async def test_cancel_and_refill_from_an_orders_page(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser
) -> None:
    group = await shared_group(gw, refill=True, cancel=True)
    quantity = max(m.service.min for m in group.members)
    needs = frozenset({Need.REFILL, Need.CANCEL})
    kept, dropped = [
        await gw.place("shop", group.id, {"link": f"https://x.com/p/{n}", "quantity": quantity},
                       needs=needs)
        for n in (1, 2)
    ]  # fmt: skip
    console = await signed_in(browser, server, keys.admin)
    page = console.page

    await console.go(f"#/order/{dropped.id}")
    await page.get_by_role("button", name="Cancel").click()
    await page.get_by_role("status").filter(has_text="Cancel requested").wait_for(timeout=TIMEOUT)
    await eventually(lambda: server.subscribers() >= 1, within=20)
    await sync_statuses(gw)
    await page.locator("#order-status").filter(has_text="CANCELED").wait_for(timeout=TIMEOUT)

    await console.go(f"#/order/{kept.id}")
    await page.get_by_role("button", name="Refill").click()
    refused = page.get_by_role("alert").filter(has_text="REFILL_REFUSED")
    await refused.wait_for(timeout=TIMEOUT)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    await page.locator("#order-status").filter(has_text="COMPLETED").wait_for(timeout=TIMEOUT)
    await page.get_by_role("button", name="Refill").click()
    await page.get_by_role("status").filter(has_text="Refill requested").wait_for(timeout=TIMEOUT)
    refills = page.get_by_role("table", name="Refills")
    await refills.wait_for(timeout=TIMEOUT)
    assert "PENDING" in await refills.inner_text()
    assert len(await gw.store.refills_for_orders([kept.id])) == 1
    assert console.troubles() == ([], [])


async def test_the_date_filters_use_the_days_the_list_shows(
    server: Server, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    """From and To are days of the reader's clock, as the Created column shows them: in a time
    zone where the order's day is not its UTC day, its local day finds it."""
    [order] = await data.orders(gw, "shop", 1)
    created = (await gw.store.get_order(order.id)).created_at.astimezone(UTC)
    # 14 hours ahead of UTC from 11:00 on, 11 behind before: the local day differs either way.
    zone = "Pacific/Kiritimati" if created.hour >= 11 else "Pacific/Pago_Pago"
    local = created.astimezone(ZoneInfo(zone)).date()
    assert local != created.date()
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id=zone)
    console = await open_console(browser, server, context)
    await sign_in(console, keys.admin)
    page = console.page
    await console.go("#/orders")
    await page.get_by_text("1 of 1 loaded orders").wait_for(timeout=TIMEOUT)
    await page.get_by_label("From", exact=True).fill(local.isoformat())
    await page.get_by_label("To", exact=True).fill(local.isoformat())
    await page.get_by_text("1 of 1 loaded orders").wait_for(timeout=TIMEOUT)
    await page.get_by_label("From", exact=True).fill(created.date().isoformat())
    await page.get_by_label("To", exact=True).fill(created.date().isoformat())
    await page.get_by_text("0 of 1 loaded orders").wait_for(timeout=TIMEOUT)
    assert console.troubles() == ([], [])


async def test_a_search_the_gateway_does_not_answer_says_so(
    server: Server, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    """A search whose request fails shows why, and no longer the previous search's rows as if
    they were its answer; the script raises nothing unhandled."""
    await data.orders(gw, "shop", 2)
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    await console.go("#/orders")
    await page.get_by_text("2 of 2 loaded orders").wait_for(timeout=TIMEOUT)

    async def unreachable(route: Route) -> None:
        if "query Orders" in (route.request.post_data or ""):
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    await page.route("**/graphql", unreachable)
    await page.get_by_label("State").select_option("FAILED")
    alert = page.get_by_role("alert").filter(has_text="could not be reached")
    await alert.wait_for(timeout=TIMEOUT)
    assert await page.get_by_role("table", name="Orders").count() == 0
    await page.unroute("**/graphql", unreachable)
    await page.get_by_role("button", name="Search").click()
    await page.get_by_text("0 of 0 loaded orders").wait_for(timeout=TIMEOUT)
    assert await alert.count() == 0
    assert console.troubles() == ([], [])


async def test_a_part_names_its_client_order_and_a_bad_id_is_told_as_such(
    server: Server, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    _, parent, children = await split_for_account(gw)
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    await console.go(f"#/order/{children[0].id}")
    await page.locator("#order-status").wait_for(timeout=TIMEOUT)
    await page.get_by_role("link", name=f"order #{parent.id}").click()
    await page.get_by_role("heading", name=f"Order #{parent.id}").wait_for(timeout=TIMEOUT)
    assert "#/order/" + str(parent.id) in page.url
    for bad in ("abc", "0", "-3", "99999999999"):
        await console.go(f"#/order/{bad}")
        await (
            page.get_by_role("alert")
            .filter(has_text=f'"{bad}" is not an order id.')
            .wait_for(timeout=TIMEOUT)
        )
    assert console.troubles() == ([], [])


async def test_an_ops_key_sees_every_clients_orders(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser
) -> None:
    shop = await data.orders(gw, "shop", 2)
    lost = await unconfirmed(gw, trio, FaultKind.DROP, n=7)
    assert lost.client_id not in ("shop", "dashboard")
    console = await signed_in(browser, server, keys.ops)
    page = console.page

    # The overview lists another client's UNCONFIRMED order.
    waiting = page.get_by_role("table", name="Open UNCONFIRMED orders")
    await waiting.get_by_role("link", name=f"#{lost.id}").wait_for(timeout=TIMEOUT)

    await console.go("#/orders")
    await page.get_by_text("3 of 3 loaded orders").wait_for(timeout=TIMEOUT)
    table = page.get_by_role("table", name="Orders")
    clients = [
        await row.locator("td").nth(2).inner_text() for row in await table.locator("tbody tr").all()
    ]
    assert sorted(clients) == sorted(["shop", "shop", lost.client_id])
    await page.get_by_label("Client").fill("shop")
    await page.get_by_label("Client").press("Enter")
    await page.get_by_text("2 of 2 loaded orders").wait_for(timeout=TIMEOUT)

    await table.get_by_role("link", name=f"#{shop[0].id}", exact=True).click()
    await page.get_by_role("heading", name=f"Order #{shop[0].id}").wait_for(timeout=TIMEOUT)
    assert await page.get_by_text("does not exist or this key cannot see it").count() == 0
    assert console.troubles() == ([], [])
