"""Bodies as published v2 clients send them, beyond a plain form: a form after a UTF-8 byte order
mark (a PHP file saved "UTF-8 with BOM" that builds its body by hand) answers as the same fields
sent plainly would."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.rest.conftest import Keys

BOM = b"\xef\xbb\xbf"
FORM = "application/x-www-form-urlencoded"


async def _post(client: httpx.AsyncClient, body: bytes, content_type: str | None) -> Any:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.post("/api/v2", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("content_type", [FORM, f"{FORM}; charset=UTF-8", None, "text/plain"])
async def test_a_form_after_a_byte_order_mark_keeps_its_first_field(
    client: httpx.AsyncClient, keys: Keys, content_type: str | None
) -> None:
    # The mark was read as part of the first name ("\ufeffkey"): "Invalid API key".
    balance = await _post(client, BOM + f"key={keys.admin}&action=balance".encode(), content_type)
    assert list(balance) == ["balance", "currency"]
    # `services` from a form POST takes the endpoint's own fast path: the same reading.
    services = await _post(client, BOM + f"key={keys.admin}&action=services".encode(), content_type)
    assert "service" in services[0]
    # The mark before the action, the key in a header: the action is still read.
    response = await client.post(
        "/api/v2",
        content=BOM + b"action=balance",
        headers={"Content-Type": FORM, "Authorization": f"Bearer {keys.admin}"},
    )
    assert list(response.json()) == ["balance", "currency"]
