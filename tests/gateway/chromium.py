"""Debian's Chromium driven by Playwright, with every host but 127.0.0.1 unreachable: the
`browser` fixture, for a conftest or test module to import::

    from tests.gateway.chromium import browser  # noqa: F401 (a fixture)

Without Chromium on the machine a test asking for it is skipped (failed under CI, as
`tests.databases.unavailable` says).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.databases import unavailable

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium's own resolver answers nothing but loopback, so not even a CDN's name resolves.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        unavailable("chromium (apt-get install chromium)")
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, args=[OFFLINE])
        try:
            yield launched
        finally:
            await launched.close()
