"""Requests Strawberry refuses before any query runs (a batch, a persisted query without the
query, a body that is no GraphQL request) are answered as GraphQL JSON, not plain text."""

from __future__ import annotations

import httpx

from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server


async def test_refused_requests_are_graphql_json(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    auth = {"Authorization": f"Bearer {keys.reader}"}
    persisted = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}}
    refusals = [
        await http.post(server.graphql_url, json=[{"query": "{ __typename }"}], headers=auth),
        await http.post(server.graphql_url, json=persisted, headers=auth),
        await http.post(
            server.graphql_url,
            content=b"{ __typename }",
            headers={**auth, "Content-Type": "text/plain"},
        ),
        await http.get(
            server.graphql_url, params={"query": "{ __typename }", "variables": "{"}, headers=auth
        ),
    ]
    for answer in refusals:
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
