"""The order page's live updates survive a break in the WebSocket: when the connection comes
back (the gateway restarted, the network dropped), the page reads the order again, so a change
made while no event could reach it shows without a reload; of reads in flight together, only
the latest shows."""

from __future__ import annotations

import asyncio
import json

from playwright.async_api import Browser, Request, Route, WebSocketRoute

from gateway.core import Gateway
from tests.gateway.console import data
from tests.gateway.console.browser import TIMEOUT, open_console, sign_in
from tests.gateway.console.conftest import Keys
from tests.gateway.graphql.server import Server
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.workers.helpers import eventually

FORTNIGHT = 14 * 24 * 3600


async def test_a_change_made_while_the_socket_was_down_shows_once_it_is_back(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser
) -> None:
    [order] = await data.orders(gw, "shop", 1)
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    """Each WebSocket the page opened (its side, the gateway's side)."""

    def through(ws: WebSocketRoute) -> None:
        sockets.append((ws, ws.connect_to_server()))

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.route_web_socket("**/graphql", through)
    console = await open_console(browser, server, context)
    await sign_in(console, keys.admin)
    page = console.page
    await console.go(f"#/order/{order.id}")
    await page.locator("#order-status").filter(has_text="PENDING").wait_for(timeout=TIMEOUT)
    await eventually(lambda: server.subscribers() >= 1, within=20)

    # The connection drops; the order finishes while the page can hear nothing of it.
    for side in sockets[0]:
        await side.close(code=1001, reason="going away")
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    final = (await gw.store.get_order(order.id)).state
    assert final != "PENDING"
    assert len(sockets) == 1, "the page waits before it connects again"
    await eventually(lambda: len(sockets) >= 2, within=20)
    await page.locator("#order-status").filter(has_text=final).wait_for(timeout=TIMEOUT)
    assert console.troubles() == ([], [])


async def test_an_older_read_answered_late_never_replaces_a_newer_one(
    server: Server, gw: Gateway, trio: Trio, keys: Keys, browser: Browser
) -> None:
    """Two reads of the order in flight (two events in a row): the first one's answer, held
    back until after the second's, is not shown over it."""
    [order] = await data.orders(gw, "shop", 1)
    console = await open_console(browser, server)
    await sign_in(console, keys.admin)
    page = console.page
    await console.go(f"#/order/{order.id}")
    await page.locator("#order-status").filter(has_text="PENDING").wait_for(timeout=TIMEOUT)
    await eventually(lambda: server.subscribers() >= 1, within=20)

    held: list[str] = []
    held_requests: list[Request] = []
    finished: list[Request] = []
    release = asyncio.Event()

    async def hold_the_first_read(route: Route) -> None:
        if "query Order(" in (route.request.post_data or "") and not held:
            held_requests.append(route.request)
            answer = await route.fetch()  # the order as it is now
            held.append(json.loads(await answer.text())["data"]["order"]["status"])
            await release.wait()
            await route.fulfill(response=answer)
        else:
            await route.continue_()

    def on_finished(request: Request) -> None:
        finished.append(request)

    page.on("requestfinished", on_finished)
    await page.route("**/graphql", hold_the_first_read)
    trio.advance(60)  # started upstream: the first event's read sees it
    await sync_statuses(gw)
    await eventually(lambda: len(held) >= 1, within=20)
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    final = (await gw.store.get_order(order.id)).state
    assert final != held[0], "the held read answers an older state"
    await page.locator("#order-status").filter(has_text=final).wait_for(timeout=TIMEOUT)
    release.set()
    # The held answer's body has reached the page; one more task, and its read has run on.
    await eventually(lambda: held_requests[0] in finished, within=20)
    await page.evaluate("() => new Promise((done) => setTimeout(done, 0))")
    assert await page.locator("#order-status").inner_text() == final
    assert console.troubles() == ([], [])
