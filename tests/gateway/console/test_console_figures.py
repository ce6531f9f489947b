"""Figures the console shows are the API's, whole: every amount with its currency."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, signed_in
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
