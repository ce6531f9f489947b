"""Refusals are the gateway's own sentences: no JSON decoder's positions or quoted input."""

from __future__ import annotations

import httpx

from tests.gateway.rest.conftest import Keys


async def test_malformed_json_is_refused_in_our_words(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = {"Authorization": f"Bearer {keys.admin}", "Content-Type": "application/json"}
    for body in (b'{"url": ', b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000):
        answer = await client.post("/v1/webhooks", content=body, headers=headers)
        assert answer.status_code == 422
        assert answer.json() == {
            "error": {"code": "INVALID", "message": "the body is not valid JSON"}
        }
    v2 = await client.post(
        "/api/v2", content=b'{"key": "' + keys.alice.encode() + b'", "action": ',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert v2.json() == {"error": "Incorrect request"}
