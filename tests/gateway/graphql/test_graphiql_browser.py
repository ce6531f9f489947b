"""GraphiQL in a real browser (Debian's chromium driven by Playwright) with every address but
127.0.0.1 unreachable: the page renders from the gateway's own assets and runs a query with the
key typed into its Headers pane.

Set ``GRAPHIQL_SCREENSHOT=docs/graphiql.png`` to refresh the README's screenshot.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Browser, Page, Response, Route

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import place, shared_group
from tests.gateway.graphql.server import ApiFactory, Server
from tests.gateway.workers.helpers import eventually


async def _offline_page(browser: Browser, outside: list[str]) -> Page:
    """A page whose requests to any host but 127.0.0.1 are refused and listed in `outside`."""
    page = await browser.new_page(viewport={"width": 1440, "height": 810})

    async def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", only_loopback)
    return page


def _value(selector: str) -> str:
    """JavaScript for the text of the CodeMirror editor under `selector`."""
    return f"document.querySelector('{selector} .CodeMirror').CodeMirror.getValue()"


async def _type_key(page: Page, key: str) -> None:
    """Type the key into the Headers pane as a user does (it is open below the query)."""
    headers = page.locator(".graphiql-editor-tool .CodeMirror").last
    await headers.click()
    await page.keyboard.type(f'{{"Authorization": "Bearer {key}"')
    # The editor closed the brace itself; whatever it did, the pane must now hold the header.
    typed = await headers.evaluate("node => node.CodeMirror.getValue()")
    assert typed.replace(" ", "") == f'{{"Authorization":"Bearer{key}"}}'


async def test_graphiql_works_offline_with_the_key_in_the_headers_pane(
    server: Server, keys: Keys, browser: Browser, tmp_path: Path
) -> None:
    outside: list[str] = []
    page = await _offline_page(browser, outside)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: failed.append(str(error)))

    await page.goto(server.graphql_url, wait_until="load")
    # React replaces the "Loading..." placeholder with the editors once every script has run.
    query_editor = page.locator(".graphiql-query-editor .CodeMirror")
    await query_editor.wait_for(state="visible", timeout=20_000)
    assert "Loading..." not in await page.locator("#graphiql").inner_text()
    assert outside == [], "the page asked for something beyond the gateway"
    assert failed == []
    # The page tells how to pass the key.
    query = await page.evaluate(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    assert '{"Authorization": "Bearer YOUR_KEY"}' in query
    assert "connection_init" in query

    await _type_key(page, keys.reader)

    await page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response .CodeMirror")
    await page.wait_for_function(
        "() => document.querySelector('.graphiql-response .CodeMirror')"
        "?.CodeMirror.getValue().includes('\"currency\"')",
        timeout=20_000,
    )
    answer = await response.evaluate("node => node.CodeMirror.getValue()")
    assert '"errors"' not in answer
    assert answer.count('"currency"') == 3
    assert outside == []

    shot = os.environ.get("GRAPHIQL_SCREENSHOT") or str(tmp_path / "graphiql.png")
    await page.locator(".graphiql-editor-tool .CodeMirror").last.click()
    await page.keyboard.press("Home")
    assert len(await page.screenshot(path=shot)) > 10_000


async def test_a_subscription_in_graphiql_authenticates_with_the_headers_pane(
    server: Server, api: ApiFactory, gw: Gateway, keys: Keys, browser: Browser
) -> None:
    """GraphiQL sends the Headers pane as the WebSocket's connection_init payload, where the
    gateway reads the key (a browser cannot set headers on a WebSocket)."""
    outside: list[str] = []
    page = await _offline_page(browser, outside)
    await page.goto(server.graphql_url, wait_until="load")
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await editor.wait_for(state="visible", timeout=20_000)
    await _type_key(page, keys.alice)
    subscription = "subscription { orderUpdated { event order { id status } } }"
    await editor.evaluate("(node, text) => node.CodeMirror.setValue(text)", subscription)
    # GraphiQL reads the operation's type a moment after an edit: a subscription goes to the
    # WebSocket once it knows.
    await page.wait_for_function(
        "() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
        ".documentAST?.definitions[0].operation === 'subscription'"
    )
    await page.locator(".graphiql-execute-button").click()
    await eventually(lambda: server.subscribers() == 1)

    group = await shared_group(gw)
    order = (await place(api(keys.alice), group))["order"]
    # The pane shows the latest event of the order (created, then updated as it is placed).
    await page.wait_for_function(
        f"() => {_value('.graphiql-response')}.includes('\"id\": {order['id']}')",
        timeout=20_000,
    )
    answer = await page.evaluate(_value(".graphiql-response"))
    assert '"orderUpdated"' in answer
    assert re.search(r'"event": "order\.(created|updated)"', answer), answer
    assert '"errors"' not in answer
    assert outside == []


async def test_graphiql_assets_are_the_vendored_files(server: Server) -> None:
    """Every asset the page names is served from the package, byte for byte."""
    static = Path(__file__).parents[3] / "gateway" / "graphql" / "static"
    async with httpx.AsyncClient() as http:
        page = await http.get(server.graphql_url, headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "unpkg.com" not in page.text
        assert "https://" not in page.text
        names = [
            "react-18.2.0/react.production.min.js",
            "react-dom-18.2.0/react-dom.production.min.js",
            "graphiql-3.8.3/graphiql.min.js",
            "graphiql-3.8.3/graphiql.min.css",
            "graphiql-plugin-explorer-1.0.2/index.umd.js",
            "graphiql-plugin-explorer-1.0.2/style.css",
        ]
        for name in names:
            assert f"/graphql/static/{name}" in page.text
            asset = await http.get(f"{server.graphql_url}/static/{name}")
            assert asset.status_code == 200, name
            assert asset.content == (static / name).read_bytes()
            assert (static / name).parent.joinpath("LICENSE").is_file()


async def test_a_key_typed_into_the_headers_pane_brings_the_schema(
    server: Server, keys: Keys, browser: Browser
) -> None:
    """Callers without a key may not introspect: the schema (docs, completion) comes once the
    key is in the Headers pane, without a reload."""
    outside: list[str] = []
    page = await _offline_page(browser, outside)
    introspections: list[tuple[str | None, dict[str, object]]] = []

    async def seen(response: Response) -> None:
        request = response.request
        if request.method == "POST" and "IntrospectionQuery" in (request.post_data or ""):
            introspections.append((request.headers.get("authorization"), await response.json()))

    page.on("response", seen)
    await page.goto(server.graphql_url, wait_until="load")
    await page.locator(".graphiql-query-editor .CodeMirror").wait_for(state="visible")
    await eventually(lambda: len(introspections) >= 1, within=20)
    first_key, first = introspections[0]
    assert first_key is None
    assert "errors" in first, "introspection is refused without a key"
    await _type_key(page, keys.reader)
    await eventually(
        lambda: any(key and "errors" not in body for key, body in introspections), within=20
    )
    assert outside == []
