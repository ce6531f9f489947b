"""Requests Strawberry refuses before any query runs (a batch, a body that is no GraphQL
request) are answered as GraphQL JSON, not plain text (a persisted query without the query:
`test_persisted_queries`)."""

from __future__ import annotations

import httpx
import pytest

from gateway.graphql.request_body import NOT_A_REQUEST
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server


async def test_refused_requests_are_graphql_json(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    auth = {"Authorization": f"Bearer {keys.reader}"}
    refusals = [
        await http.post(server.graphql_url, json=[{"query": "{ __typename }"}], headers=auth),
        await http.post(
            server.graphql_url,
            content=b"{ __typename }",
            headers={**auth, "Content-Type": "text/plain"},
        ),
        await http.get(
            server.graphql_url, params={"query": "{ __typename }", "variables": "{"}, headers=auth
        ),
        *[
            await http.get(
                server.graphql_url, params=params, headers={**auth, "Accept": "application/json"}
            )
            for params in (
                {"query": "{ __typename }", "variables": "5"},
                {"query": "{ __typename }", "variables": "[1]"},
                {"query": "{ __typename }", "extensions": '"x"'},
                {"query": "{ __typename }", "operationName": ""},
                {"variables": "{}"},
            )
        ],
    ]
    for answer in refusals:
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]


@pytest.mark.parametrize("body", [b'"x"', b"5", b"true", b"null"])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain, application/json"])
async def test_json_that_is_no_object_is_refused_as_invalid_json_is(
    server: Server, http: httpx.AsyncClient, keys: Keys, body: bytes, content_type: str
) -> None:
    # The second content type is read as JSON by Strawberry too (its media type contains
    # application/json), so the body must be checked for it as well.
    for auth in ({"Authorization": f"Bearer {keys.reader}"}, {}):
        answer = await http.post(
            server.graphql_url, content=body, headers={**auth, "Content-Type": content_type}
        )
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json() == {
            "data": None,
            "errors": [{"message": NOT_A_REQUEST, "extensions": {"code": "BAD_REQUEST"}}],
        }


DEEP = ("[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000)
"""JSON nested deeper than Python's decoder recurses."""


@pytest.mark.parametrize("variables", DEEP, ids=("array", "object"))
async def test_variables_nested_too_deep_are_a_bad_request(
    server: Server, http: httpx.AsyncClient, keys: Keys, variables: str
) -> None:
    # A GET's variables are decoded by the endpoint: such nesting was a 500 in plain text.
    answer = await http.get(
        server.graphql_url,
        params={"query": "{ __typename }", "variables": variables},
        headers={"Authorization": f"Bearer {keys.reader}", "Accept": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
