"""A console tab in Chromium, as an operator uses it: open ``/console``, type the key, click.

Set ``CONSOLE_SCREENSHOTS=DIR`` to keep the pictures two tests take (``console-*.png``).

Every request the tab makes is recorded; those to any host but 127.0.0.1 are refused and listed
in `outside`; script errors and policy violations in `errors`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Request, Route

from tests.gateway.graphql.server import Server

TIMEOUT = 20_000
"""Milliseconds a page may take to show what a test waits for."""


@dataclass
class Console:
    """An open console tab and what it asked for."""

    page: Page
    server: Server
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    """The Authorization header of every request that carried one."""

    async def go(self, hash_: str) -> None:
        """Follow a link of the navigation (as a click would)."""
        await self.page.evaluate("hash => { location.hash = hash; }", hash_)

    def troubles(self) -> tuple[list[str], list[str]]:
        """What went wrong so far: requests beyond the gateway, and script or policy errors."""
        return self.outside, self.errors

    async def session_key(self) -> str | None:
        key: str | None = await self.page.evaluate(
            "() => sessionStorage.getItem('smm-console-key')"
        )
        return key


async def open_console(
    browser: Browser, server: Server, context: BrowserContext | None = None
) -> Console:
    """A tab (in `context`, or a fresh one) showing ``/console``, phone-to-laptop sized."""
    owner = context or await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await owner.new_page()
    console = Console(page, server)

    async def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            console.outside.append(route.request.url)
            await route.abort("internetdisconnected")

    def seen(request: Request) -> None:
        console.requests.append(request.url)
        if "authorization" in request.headers:
            console.authorizations.append(request.headers["authorization"])

    await page.route("**/*", only_loopback)
    page.on("request", seen)
    page.on("pageerror", lambda error: console.errors.append(str(error)))
    # A refused API call logs "Failed to load resource" (tests that are refused expect it); a
    # blocked script or style logs a Content Security Policy violation, which no test expects.
    page.on(
        "console",
        lambda message: (
            console.errors.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    await page.goto(server.base_url + "/console", wait_until="load")
    return console


async def sign_in(console: Console, key: str) -> None:
    """Type `key` into the prompt and sign in; returns once the navigation shows."""
    page = console.page
    await page.locator("#key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#nav").wait_for(state="visible", timeout=TIMEOUT)


async def signed_in(browser: Browser, server: Server, key: str) -> Console:
    console = await open_console(browser, server)
    await sign_in(console, key)
    return console


async def screenshot(console: Console, name: str, tmp_path: Path) -> None:
    """A picture of the whole page as ``console-<name>.png`` (in ``CONSOLE_SCREENSHOTS``, else
    in the test's directory)."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    shot = await console.page.screenshot(path=folder / f"console-{name}.png", full_page=True)
    assert len(shot) > 10_000
