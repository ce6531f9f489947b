"""Automatic persisted queries: a client that sends a query's hash without the query (Apollo's
and urql's persisted links) is told the gateway keeps none, in the words and code those links
look for, so they send the whole query from then on; with the query beside a hash, the query
runs whatever the hash."""

from __future__ import annotations

import json

import httpx

from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server

PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}


async def test_a_hash_without_its_query_is_a_persisted_query_not_supported(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    auth = {"Authorization": f"Bearer {keys.reader}"}
    post = await http.post(server.graphql_url, json={"extensions": PERSISTED}, headers=auth)
    get = await http.get(
        server.graphql_url,
        params={"extensions": json.dumps(PERSISTED)},
        headers={**auth, "Accept": "application/json"},
    )
    for answer in (post, get):
        assert answer.status_code == 400, answer.text
        assert answer.json() == {
            "data": None,
            "errors": [
                {
                    "message": "PersistedQueryNotSupported",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
                }
            ],
        }
    # The query sent with it (the link's retry, or a hash that does not match): it runs.
    retry = {"query": "{ __typename }", "extensions": PERSISTED}
    answer = await http.post(server.graphql_url, json=retry, headers=auth)
    assert answer.json() == {"data": {"__typename": "Query"}}
