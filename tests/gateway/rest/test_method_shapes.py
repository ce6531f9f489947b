"""A method a route does not take is answered as JSON in its protocol's shape, with Allow."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_wrong_methods_get_json_in_each_protocols_shape(
    client: httpx.AsyncClient, method: str
) -> None:
    for path in ("/api/v2", "/api/v2/"):
        v2 = await client.request(method, path)
        assert (v2.status_code, v2.json()) == (405, {"error": "Incorrect request"})
        assert "POST" in v2.headers["allow"]
    graphql = await client.request(method, "/graphql")
    assert graphql.status_code == 405
    body = graphql.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["METHOD_NOT_ALLOWED"]
    assert "POST" in body["errors"][0]["message"]
    webhooks = await client.request(method if method != "DELETE" else "PUT", "/v1/webhooks")
    assert webhooks.status_code == 405
    assert webhooks.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
