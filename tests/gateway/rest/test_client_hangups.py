"""A client that hangs up mid-request is its own doing: one INFO line, never an ERROR with a
traceback."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest


async def _hang_up(client: httpx.AsyncClient, path: str) -> None:
    """Send the head of a POST promising 1000 bytes, 10 of them, then close the connection."""
    url = httpx.URL(str(client.base_url))
    _, writer = await asyncio.open_connection(url.host, url.port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nContent-Length: 1000\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    writer.write(head.encode() + b"action=bal")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def _wait_for(caplog: pytest.LogCaptureFixture, text: str) -> logging.LogRecord:
    async with asyncio.timeout(10):
        while True:
            found = [r for r in caplog.records if text in r.getMessage()]
            if found:
                return found[0]
            await asyncio.sleep(0.01)


async def test_a_hang_up_is_one_info_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.rest")
    await _hang_up(client, "/api/v2")
    record = await _wait_for(caplog, "hung up")
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
