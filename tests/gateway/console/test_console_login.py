"""The key prompt: an operator key is typed once, kept in the tab's sessionStorage, sent only as
an Authorization header (never in a URL or a log line); a client's key, a wrong one or a revoked
one brings the prompt back with the API's words, a gateway out of reach keeps it; signing out
forgets it, and another tab asks again; the pages fit a phone and work from the keyboard."""

from __future__ import annotations

import logging

import pytest
from playwright.async_api import Browser, Route

from gateway.core import Gateway
from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, open_console, sign_in, signed_in
from tests.gateway.console.conftest import Keys
from tests.gateway.graphql.server import ApiFactory, Server
from tests.gateway.workers.helpers import eventually


async def test_the_key_is_asked_once_and_kept_in_session_storage_never_in_a_url(
    server: Server, keys: Keys, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    console = await open_console(browser, server)
    page = console.page
    assert await page.locator("#nav").is_hidden()
    assert await page.locator("#key").get_attribute("type") == "password"
    await sign_in(console, keys.admin)
    await page.get_by_role("heading", name="Providers").wait_for(timeout=TIMEOUT)

    assert await console.session_key() == keys.admin
    assert await page.evaluate("() => localStorage.length") == 0
    assert await page.evaluate("() => document.cookie") == ""
    assert keys.admin not in page.url
    assert console.requests, "the page asked the gateway for its data"
    assert all(keys.admin not in url for url in console.requests)
    assert set(console.authorizations) == {f"Bearer {keys.admin}"}
    assert await page.locator("#who").inner_text() == "admin · admin, ops, order, read"

    # A reload keeps the session: no prompt.
    await page.reload(wait_until="load")
    await page.get_by_role("heading", name="Providers").wait_for(timeout=TIMEOUT)
    assert await page.locator("#key").count() == 0

    # Another browser session starts without the key.
    other = await open_console(browser, server)
    await other.page.locator("#key").wait_for(timeout=TIMEOUT)
    assert await other.session_key() is None

    await page.get_by_role("button", name="Sign out").click()
    await page.locator("#key").wait_for(timeout=TIMEOUT)
    assert await console.session_key() is None
    assert all(keys.admin not in url for url in console.requests)
    assert keys.admin not in caplog.text
    assert console.troubles() == ([], [])


async def test_a_revoked_key_brings_the_prompt_back(
    server: Server, gw: Gateway, keys: Keys, browser: Browser, api: ApiFactory
) -> None:
    row, secret = await gw.store.create_api_key("night shift", "ops", ["ops"])
    console = await signed_in(browser, server, secret)
    page = console.page
    await page.get_by_role("table", name="Providers").wait_for(timeout=TIMEOUT)
    revoke = "mutation($id: Int!) { revokeApiKey(id: $id) { __typename } }"
    revoked = await api(keys.admin).data(revoke, {"id": row.id})
    assert revoked["revokeApiKey"]["__typename"] == "RevokeApiKeySuccess"
    await console.go("#/accounts")
    await page.locator("#key").wait_for(timeout=TIMEOUT)
    await page.get_by_role("alert").filter(has_text="UNAUTHENTICATED").wait_for()
    assert await console.session_key() is None
    assert console.troubles() == ([], [])


async def test_a_key_revoked_while_a_page_stays_open_brings_the_prompt_back_by_itself(
    server: Server, gw: Gateway, keys: Keys, browser: Browser, api: ApiFactory
) -> None:
    """The gateway closes the live connection of a revoked key: the console, though nobody
    clicks, asks for a key again instead of showing an order that can no longer change."""
    [order] = await data.orders(gw, "shop", 1)
    row, secret = await gw.store.create_api_key("night shift", "ops", ["admin"])
    console = await signed_in(browser, server, secret)
    page = console.page
    await console.go(f"#/order/{order.id}")
    await page.locator("#order-status").wait_for(timeout=TIMEOUT)
    await eventually(lambda: server.subscribers() >= 1, within=20)
    revoke = "mutation($id: Int!) { revokeApiKey(id: $id) { __typename } }"
    revoked = await api(keys.admin).data(revoke, {"id": row.id})
    assert revoked["revokeApiKey"]["__typename"] == "RevokeApiKeySuccess"
    await page.locator("#key").wait_for(timeout=TIMEOUT)
    await page.get_by_role("alert").filter(has_text="UNAUTHENTICATED").wait_for()
    assert await console.session_key() is None
    assert console.troubles() == ([], [])


async def test_a_gateway_out_of_reach_at_sign_in_keeps_the_key(
    server: Server, keys: Keys, browser: Browser
) -> None:
    """Only a refusal forgets the key: with the gateway out of reach the page says so, keeps
    the key and signs in again with one click once the gateway answers."""
    console = await signed_in(browser, server, keys.admin)
    page = console.page

    async def unreachable(route: Route) -> None:
        if "query Viewer" in (route.request.post_data or ""):
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    await page.route("**/graphql", unreachable)
    await page.reload(wait_until="load")
    await (
        page.get_by_role("alert").filter(has_text="could not be reached").wait_for(timeout=TIMEOUT)
    )
    assert await page.locator("#key").count() == 0, "no prompt: the key was not refused"
    assert await console.session_key() == keys.admin
    await page.get_by_role("button", name="Try again").click()  # still out of reach
    await page.get_by_role("alert").filter(has_text="could not be reached").wait_for()
    await page.unroute("**/graphql", unreachable)
    await page.get_by_role("button", name="Try again").click()
    await page.locator("#nav").wait_for(state="visible", timeout=TIMEOUT)
    await page.get_by_role("heading", name="Providers").wait_for(timeout=TIMEOUT)

    await page.route("**/graphql", unreachable)
    await page.reload(wait_until="load")
    await page.get_by_role("button", name="Use another key").click()
    await page.locator("#key").wait_for(timeout=TIMEOUT)
    assert await console.session_key() is None
    assert console.troubles() == ([], [])


async def test_a_key_that_is_not_an_operators_is_refused_on_the_page(
    server: Server, keys: Keys, browser: Browser
) -> None:
    console = await open_console(browser, server)
    page = console.page
    await page.locator("#key").fill(keys.alice)
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    await alert.filter(has_text="not an operator key").wait_for(timeout=TIMEOUT)
    assert "order" in await alert.inner_text()
    assert await console.session_key() is None
    assert await page.locator("#nav").is_hidden()

    await page.locator("#key").fill("not-a-key")
    await page.get_by_role("button", name="Sign in").click()
    await alert.filter(has_text="invalid API key").wait_for(timeout=TIMEOUT)
    assert await console.session_key() is None
    assert console.troubles() == ([], [])


async def test_the_console_fits_a_phone_and_is_reachable_by_keyboard(
    server: Server, keys: Keys, browser: Browser
) -> None:
    """On a phone's width nothing makes the page scroll sideways (wide tables scroll in their
    own box), and the key prompt and the navigation work from the keyboard alone."""
    phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    console = await open_console(browser, server, phone)
    page = console.page
    await page.locator("#key").wait_for(timeout=TIMEOUT)
    assert await page.evaluate("() => document.activeElement.id") == "key"
    await page.keyboard.type(keys.admin)
    await page.keyboard.press("Enter")
    await page.locator("#nav").wait_for(state="visible", timeout=TIMEOUT)
    await page.get_by_role("table", name="Providers").wait_for(timeout=TIMEOUT)
    for hash_ in ("#/overview", "#/orders", "#/catalog", "#/accounts", "#/webhooks"):
        await console.go(hash_)
        await page.locator("main [aria-busy]").wait_for(state="detached", timeout=TIMEOUT)
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, hash_

    # Tab from the page's top reaches the navigation's links in order.
    await page.locator("body").focus()
    reached = []
    for _ in range(8):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate("() => document.activeElement.textContent.trim()"))
    pages = ["Overview", "Orders", "Catalog", "Accounts", "Webhooks"]
    assert [name for name in reached if name in pages] == pages
    assert console.troubles() == ([], [])
