"""A bad value is refused without being repeated: the message names the variable, the path and
the expected type, and keeps a short prefix of the value at most (graphql-core would repeat up
to 240 characters of a variable, and a literal of the document whole)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from gateway.graphql.errors import MAX_MESSAGE
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import Server

DIGITS = "9" * 5000
LONG = "x" * 5000
WORD = "X" * 5000  # an enum value's form, for literals


async def _errors(
    http: httpx.AsyncClient,
    server: Server,
    key: str,
    query: str,
    variables: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await http.post(
        server.graphql_url, json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code in (200, 400), response.text
    answer = response.json()
    assert answer["data"] is None
    errors: list[dict[str, Any]] = answer["errors"]
    assert errors
    return errors


CASES: list[tuple[str, str, dict[str, Any] | None, list[str]]] = [
    # (case, query, variables, words the message must keep)
    ("Int literal of 5,000 digits", f"{{ service(id: {DIGITS}) {{ id }} }}", None, ["'Int'"]),
    (
        "Int variable of 5,000 digits as a string",
        "query($x: Int!) { service(id: $x) { id } }",
        {"x": DIGITS},
        ["'$x'", "Int"],
    ),
    ("long string for an Int id", f'{{ service(id: "{LONG}") {{ id }} }}', None, ["Int"]),
    (
        "long string for an enum (variable)",
        "query($p: Platform) { services(filter: {platform: $p}) { totalCount } }",
        {"p": LONG},
        ["'$p'", "'Platform'"],
    ),
    (
        "long string in a list (variable)",
        "query($n: [Need!]) { quote(serviceId: 1, needs: $n) { __typename } }",
        {"n": ["REFILL", LONG]},
        ["'$n'", "[1]", "'Need'"],
    ),
    (
        "long enum value in a list literal",
        f"{{ quote(serviceId: 1, needs: [REFILL, {WORD}]) {{ __typename }} }}",
        None,
        ["'Need'"],
    ),
    (
        "nested input object field (variable)",
        "query($f: ServiceFilter) { services(filter: $f) { totalCount } }",
        {"f": {"platform": LONG}},
        ["'$f'", ".platform", "'Platform'"],
    ),
    (
        "nested input object field (literal)",
        f'{{ services(filter: {{search: "a", platform: {WORD}}}) {{ totalCount }} }}',
        None,
        ["'Platform'"],
    ),
    (
        "unknown field of an input object, with a long value",
        "query($f: ServiceFilter) { services(filter: $f) { totalCount } }",
        {"f": {"nope": LONG}},
        ["'$f'", "'ServiceFilter'", "'nope'"],
    ),
    (
        "input object given as a long string",
        "query($f: ServiceFilter) { services(filter: $f) { totalCount } }",
        {"f": LONG},
        ["'$f'", "'ServiceFilter'"],
    ),
]


@pytest.mark.parametrize(("case", "query", "variables", "kept"), CASES, ids=[c[0] for c in CASES])
async def test_long_values_are_not_repeated(
    server: Server,
    http: httpx.AsyncClient,
    keys: Keys,
    case: str,
    query: str,
    variables: dict[str, Any] | None,
    kept: list[str],
) -> None:
    errors = await _errors(http, server, keys.reader, query, variables)
    for error in errors:
        message = error["message"]
        assert len(message) <= MAX_MESSAGE, message
        for long in (DIGITS, LONG, WORD):
            assert long[:40] not in message, message
        assert "encountered error" not in message, message
        assert "sys.set_int" not in message, message
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", message
        assert "locations" in error
    joined = " ".join(e["message"] for e in errors)
    for word in kept:
        assert word in joined, joined
    assert "..." in joined, "a short prefix of the value, and an ellipsis"


async def test_a_json_number_of_5000_digits_is_a_bad_request(
    server: Server, http: httpx.AsyncClient, keys: Keys
) -> None:
    response = await http.post(
        server.graphql_url,
        content=f'{{"query": "query($x: Int!) {{ service(id: $x) {{ id }} }}", '
        f'"variables": {{"x": {DIGITS}}}}}',
        headers={"Authorization": f"Bearer {keys.reader}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert DIGITS[:40] not in error["message"]


async def test_the_log_line_does_not_repeat_the_value_either(
    server: Server, http: httpx.AsyncClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await _errors(http, server, keys.reader, f"{{ service(id: {DIGITS}) {{ id }} }}")
    assert DIGITS[:40] not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
