"""Calling ``/api/v2`` in each of the encodings panel clients use."""

from __future__ import annotations

import json
from typing import Any

import httpx

from gateway.catalog import Group
from tests.gateway.panels import shared_group as shared_group

ENCODINGS = ("form", "query", "json")
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


async def v2_raw(
    client: httpx.AsyncClient,
    encoding: str,
    fields: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One v2 call, fields sent as a form POST, a GET query string or a JSON body."""
    sent = {"User-Agent": BROWSER, **(headers or {})}
    text = {k: str(v) for k, v in fields.items()}
    if encoding == "form":
        return await client.post("/api/v2", data=text, headers=sent)
    if encoding == "query":
        return await client.get("/api/v2", params=text, headers=sent)
    body = json.dumps(fields).encode()
    return await client.post(
        "/api/v2", content=body, headers={**sent, "Content-Type": "application/json"}
    )


async def v2(
    client: httpx.AsyncClient,
    encoding: str,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    """The decoded answer of a v2 call, after checking it is JSON with HTTP 200."""
    response = await v2_raw(client, encoding, fields, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def order_fields(group: Group, n: int = 0) -> dict[str, Any]:
    quantity = max(m.service.min for m in group.members)
    return {"service": group.id, "link": f"https://instagram.com/p/{n}", "quantity": quantity}
