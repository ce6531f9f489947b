"""Abusive queries are refused before they run; unexpected failures are masked and logged."""

from __future__ import annotations

import logging

import httpx
import pytest

from gateway.core import Gateway
from gateway.graphql.options import GraphQLOptions
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory, Server

LIMITS = GraphQLOptions()


async def test_too_many_tokens(api: ApiFactory, keys: Keys) -> None:
    query = "{ services { totalCount " + "__typename " * LIMITS.max_tokens + "} }"
    answer = await api(keys.reader).execute(query)
    assert answer["data"] is None
    assert f"more than {LIMITS.max_tokens} tokens" in answer["errors"][0]["message"]


async def test_too_many_aliases(api: ApiFactory, keys: Keys) -> None:
    fields = " ".join(f"a{i}: totalCount" for i in range(LIMITS.max_aliases + 1))
    answer = await api(keys.reader).execute("{ services { " + fields + " } }")
    assert "aliases found" in answer["errors"][0]["message"]


async def test_unexpected_errors_are_masked_and_logged(
    api: ApiFactory, keys: Keys, gw: Gateway, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    async def broken(*, fresh: bool = False) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(gw.balances, "fetch", broken)
    reader = api(keys.ops)
    with caplog.at_level(logging.ERROR, logger="gateway.graphql.masking"):
        response = await reader.http.post(
            reader.url, json={"query": "{ balances { total { amount } } viewer { clientId } }"},
            headers={**reader.headers(), "X-Request-ID": "req-masked-1"},
        )  # fmt: skip
    answer = response.json()
    assert "hunter2" not in response.text
    [error] = answer["errors"]
    assert error["message"] == "Internal server error (request id req-masked-1)"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-masked-1"}
    assert error["path"] == ["balances"]
    assert answer["data"] is None
    [record] = [r for r in caplog.records if "req-masked-1" in r.getMessage()]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_expected_errors_are_not_masked(api: ApiFactory, keys: Keys) -> None:
    answer = await api(keys.reader).execute("{ services { nope } }")
    assert "Cannot query field 'nope'" in answer["errors"][0]["message"]


async def test_bodies_that_are_no_graphql_request_get_a_clean_error(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    headers = {"Authorization": f"Bearer {keys.reader}", "Content-Type": "application/json"}
    deep = await http.post(server.graphql_url, content=b"[" * 50_000, headers=headers)
    assert deep.status_code == 400
    assert deep.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    huge = await http.post(server.graphql_url, content=b" " * (2 * 1024 * 1024), headers=headers)
    assert huge.status_code == 413
    assert "errors" in huge.json()
    fine = await http.post(server.graphql_url, json={"query": "{ viewer { clientId } }"},
                           headers={"Authorization": f"Bearer {keys.reader}"})  # fmt: skip
    assert fine.status_code == 200
