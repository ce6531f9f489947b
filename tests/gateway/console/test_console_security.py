"""What keeps the console safe: a read-only ops key sees but cannot act (the API refuses and the
page says so), hostile strings from panels or clients show as text, and the policy header stops
any script that is not one of the console's own files."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser

from gateway.console import CONTENT_SECURITY_POLICY
from gateway.core import Gateway
from providers.simulator import Fault, FaultKind
from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, open_console, sign_in, signed_in
from tests.gateway.console.conftest import Keys
from tests.gateway.graphql.server import ApiFactory, Server
from tests.gateway.panels import Trio
from tests.gateway.unconfirmed import fields

HOSTILE_LINK = "https://x.com/<script>window.pwned=1</script><img/src=x/onerror=window.pwned=2>"
HOSTILE_TEXT = "<img src=x onerror=window.pwned=3><b>bold</b>"


async def test_a_read_only_ops_key_sees_but_every_action_is_refused_on_the_page(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser, api: ApiFactory,
    http: httpx.AsyncClient,
) -> None:  # fmt: skip
    await data.account(api(keys.admin), "acme", "10")
    await data.failing_endpoint(http, server, keys.admin)
    # An UNCONFIRMED order of another client: the ops key reads every client's orders.
    service, order_fields = await fields(gw)
    first = (await gw.quote(service, order_fields)).candidates[0].offer.provider
    trio.sims[first].faults.add(Fault(FaultKind.HTTP_5XX, actions=frozenset({"add"}), count=1))
    lost = await gw.place("shop", service, order_fields)
    assert lost.state == "UNCONFIRMED"

    console = await signed_in(browser, server, keys.ops)
    page = console.page
    assert await page.locator("#who").inner_text() == "ops · ops, read"
    await page.get_by_role("table", name="Providers").wait_for(timeout=TIMEOUT)
    webhooks = page.get_by_role("region", name="Failing webhooks")
    await webhooks.get_by_role("alert").filter(has_text="admin scope").wait_for(timeout=TIMEOUT)

    await console.go(f"#/order/{lost.id}")
    await page.get_by_role("button", name="Not placed").click()
    refused = page.get_by_role("alert").filter(has_text="lacks the 'admin' scope")
    await refused.wait_for(timeout=TIMEOUT)
    assert "FORBIDDEN" in await refused.inner_text()
    assert (await gw.store.get_order(lost.id)).state == "UNCONFIRMED"
    await page.get_by_role("button", name="Cancel").click()
    await (
        page.get_by_role("alert")
        .filter(has_text="lacks the 'order' scope")
        .wait_for(timeout=TIMEOUT)
    )

    await console.go("#/accounts")
    await page.get_by_role("table", name="Accounts").wait_for(timeout=TIMEOUT)
    await page.get_by_label("Amount").fill("1000")
    await page.get_by_role("button", name="Top up").click()
    await (
        page.get_by_role("alert")
        .filter(has_text="lacks the 'admin' scope")
        .wait_for(timeout=TIMEOUT)
    )
    account = (await api(keys.admin).data('{ account(name: "acme") { balance } }'))["account"]
    assert account["balance"] == "10"

    await console.go("#/webhooks")
    await page.get_by_role("alert").filter(has_text="admin scope").wait_for(timeout=TIMEOUT)
    assert await page.get_by_role("table", name="Webhook endpoints").count() == 0
    assert console.troubles() == ([], [])


async def test_hostile_links_names_and_descriptions_show_as_text(
    server: Server, gw: Gateway, keys: Keys, browser: Browser, http: httpx.AsyncClient
) -> None:
    [order] = await data.orders(gw, HOSTILE_TEXT, 1, link=HOSTILE_LINK)
    answer = await http.post(
        server.base_url + "/v1/webhooks",
        json={"url": data.CLOSED_PORT, "event_types": ["*"], "description": HOSTILE_TEXT},
        headers={"Authorization": f"Bearer {keys.admin}"},
    )
    assert answer.status_code == 201, answer.text
    console = await signed_in(browser, server, keys.admin)
    page = console.page
    main = page.locator("main")

    await console.go("#/orders")
    table = page.get_by_role("table", name="Orders")
    await table.get_by_text(HOSTILE_LINK, exact=True).wait_for(timeout=TIMEOUT)
    await table.get_by_text(HOSTILE_TEXT, exact=True).wait_for()

    await console.go(f"#/order/{order.id}")
    await page.get_by_text(HOSTILE_LINK, exact=True).wait_for(timeout=TIMEOUT)
    assert await main.locator("script, img, b").count() == 0

    await console.go("#/webhooks")
    await page.get_by_text(HOSTILE_TEXT, exact=True).wait_for(timeout=TIMEOUT)
    assert await main.locator("script, img, b").count() == 0
    assert await page.evaluate("() => window.pwned") is None
    assert console.troubles() == ([], [])


async def test_the_policy_header_reaches_the_browser_and_blocks_inline_script(
    server: Server, keys: Keys, browser: Browser
) -> None:
    console = await open_console(browser, server)
    page = console.page
    response = await page.goto(server.base_url + "/console", wait_until="load")
    assert response is not None
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    await sign_in(console, keys.admin)
    await page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    assert await page.evaluate("() => window.injected") is None
    blocked = [e for e in console.errors if "Content Security Policy" in e]
    assert blocked, "the browser reported the inline script it refused"
    assert console.outside == []
