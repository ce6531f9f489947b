"""Figures the console shows are the API's, whole: every amount with its currency, on one line
even on a phone, and the latest price changes however long the feed has grown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from playwright.async_api import Browser

from gateway.core import Gateway
from gateway.store import PriceChange, PriceChangeKind
from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, open_console, sign_in, signed_in
from tests.gateway.console.conftest import Keys
from tests.gateway.graphql.server import ApiFactory, Server


async def test_every_figure_of_an_account_names_its_currency(
    server: Server, keys: Keys, browser: Browser, api: ApiFactory
) -> None:
    await data.account(api(keys.admin), "acme", "250.50")
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    await console.go("#/accounts")
    accounts = page.get_by_role("table", name="Accounts")
    await accounts.wait_for(timeout=TIMEOUT)
    cells = await accounts.locator("tbody tr").first.locator("td.num").all_inner_texts()
    # Balance, held, available, spent today and this month.
    assert cells == ["250.5 USD", "0 USD", "250.5 USD", "0 USD", "0 USD"]
    await page.locator('[data-account="acme"]').click()
    movements = page.get_by_role("table", name="Movements")
    await movements.wait_for(timeout=TIMEOUT)
    assert await movements.locator("tbody td.num").all_inner_texts() == ["250.5 USD"]
    assert console.troubles() == ([], [])


async def test_the_latest_price_changes_show_however_long_the_feed(
    server: Server, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    """The feed comes oldest first: past the changes the page keeps (5000), the newest still
    head the list."""
    start = datetime.now(UTC) - timedelta(days=30)
    old = [
        PriceChange("alpha", f"old-{n}", PriceChangeKind.ADDED, None, Decimal("1"), "USD",
                    start + timedelta(seconds=n))
        for n in range(5200)
    ]  # fmt: skip
    newest = PriceChange(
        "beta", "newest-1", PriceChangeKind.CHANGED, Decimal("2"), Decimal("2.5"), "USD",
        datetime.now(UTC),
    )  # fmt: skip
    await gw.store.record_price_changes([*old, newest])
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    await console.go("#/catalog")
    changes = page.get_by_role("table", name="Price changes")
    await changes.wait_for(timeout=TIMEOUT)
    first = await changes.locator("tbody tr").first.inner_text()
    assert "newest-1" in first
    assert "2.5" in first
    assert console.troubles() == ([], [])


LINES = """cell => { const r = document.createRange(); r.selectNodeContents(cell);
  const tops = [...r.getClientRects()].filter((b) => b.width).map((b) => Math.round(b.top));
  return new Set(tops).size; }"""
"""How many lines a cell's text takes."""


async def test_on_a_phone_names_states_and_amounts_are_not_broken_inside_a_word(
    server: Server, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    """A narrow screen wraps a table's cells between words only (free text such as a link may
    break anywhere); a table wider than the screen scrolls in its own box."""
    phone = await browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True)
    console = await open_console(browser, server, phone)
    await sign_in(console, keys.admin)
    page = console.page
    providers = page.get_by_role("table", name="Providers")
    await providers.locator("tbody tr").first.wait_for(timeout=TIMEOUT)
    for row in await providers.locator("tbody tr").all():
        name, breaker = row.locator("td").nth(0), row.locator("td").nth(1)
        balance = row.locator("td").nth(5).locator(".money")
        assert "USD" in await balance.inner_text() or "EUR" in await balance.inner_text()
        for cell in (name, breaker, balance):
            assert await cell.evaluate(LINES) == 1, await cell.inner_text()
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert console.troubles() == ([], [])
