"""``/api/v2 action=services`` answered at the ASGI level (a form POST or a GET query: `v2_fast`)
and through the `Request` endpoint (a JSON or multipart body): the same bytes, the same headers,
the same 304s and the same errors either way; every call counted once by the per-key limit and
once in the request metrics."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.metrics import REGISTRY
from gateway.rest import v2_texts as texts
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import v2_raw

SHAPES = ("form", "query", "json", "multipart")
SENT = ("content-type", "content-length", "etag", "cache-control", "x-ratelimit-limit")


async def call(
    client: httpx.AsyncClient, shape: str, fields: dict[str, str], **headers: str
) -> httpx.Response:
    if shape == "multipart":
        files = {name: (None, value) for name, value in fields.items()}
        return await client.post("/api/v2", files=files, headers=headers)
    return await v2_raw(client, shape, fields, headers)


def counted(method: str, status: int) -> float:
    labels = {"route": "/api/v2", "method": method, "status": str(status)}
    return REGISTRY.get_sample_value("smmgw_http_requests_total", labels) or 0.0


async def test_every_shape_gets_the_same_bytes_headers_and_304(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    fields = {"key": keys.reader, "action": "services"}
    answers = {shape: await call(client, shape, fields) for shape in SHAPES}
    first = answers["form"]
    assert first.status_code == 200
    assert isinstance(json.loads(first.content), list)
    assert len(json.loads(first.content)) > 0
    assert first.headers["cache-control"] == "private, no-cache"
    for shape, answer in answers.items():
        assert answer.status_code == 200, shape
        assert answer.content == first.content, shape
        assert [answer.headers.get(h) for h in SENT] == [first.headers.get(h) for h in SENT]
        assert [h for h in answer.headers if h not in ("date", "server")] == [
            "x-ratelimit-limit", "x-ratelimit-remaining", "etag", "cache-control",
            "content-length", "content-type",
        ], shape  # fmt: skip
    etag = first.headers["etag"]
    for shape in SHAPES:
        for named in (etag, f'W/{etag}, "other"', "*"):
            again = await call(client, shape, fields, **{"If-None-Match": named})
            assert again.status_code == 304, (shape, named)
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert "content-type" not in again.headers
        other = await call(client, shape, fields, **{"If-None-Match": '"other"'})
        assert other.status_code == 200
        assert other.content == first.content


async def test_each_call_is_counted_once_by_the_limit_and_the_metrics(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    seen: list[int] = []
    before = counted("POST", 200), counted("GET", 200)
    for shape, action in (("form", "services"), ("form", "balance"), ("query", "services")):
        answer = await call(client, shape, {"key": keys.alice, "action": action})
        assert answer.status_code == 200
        seen.append(int(answer.headers["x-ratelimit-remaining"]))
    assert seen == [seen[0], seen[0] - 1, seen[0] - 2]
    assert (counted("POST", 200), counted("GET", 200)) == (before[0] + 2, before[1] + 1)


@pytest.mark.parametrize("shape", ["form", "query"])
async def test_errors_keep_the_v2_shape(client: httpx.AsyncClient, keys: Keys, shape: str) -> None:
    async def error_of(fields: dict[str, str], **headers: str) -> object:
        answer = await call(client, shape, {"action": "services", **fields}, **headers)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        return answer.json()

    assert await error_of({"key": "no such key"}) == {"error": texts.INVALID_KEY}
    assert await error_of({}) == {"error": texts.INVALID_KEY}
    assert await error_of({"key": "x" * 600}) == {"error": texts.INVALID_KEY}
    long_key = {"Idempotency-Key": "k" * 300}
    assert await error_of({"key": keys.reader}, **long_key) == {"error": texts.INCORRECT_REQUEST}
    bearer = {"Authorization": f"Bearer {keys.reader}"}
    answer = await call(client, shape, {"action": "services"}, **bearer)
    assert answer.status_code == 200
    assert isinstance(answer.json(), list)


async def test_a_form_body_too_large_or_unreadable_is_refused_in_the_v2_shape(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    huge = f"key={keys.reader}&action=services&pad={'x' * (1 << 20)}"
    answer = await client.post("/api/v2", content=huge, headers=form)
    assert answer.json() == {"error": texts.TOO_LARGE}
    fields = "&".join(f"f{n}=1" for n in range(1001))  # past the fields a body may have
    bad = await client.post("/api/v2", content=f"key={keys.reader}&action=services&{fields}",
                            headers=form)  # fmt: skip
    assert bad.json() == {"error": texts.INCORRECT_REQUEST}


async def test_a_refused_services_call_is_answered_alike_on_every_shape(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    # Form and query calls are admitted at the ASGI level, JSON and multipart ones by the
    # `Request` endpoint: one `admit` step serves both, so each refusal reads the same.
    refused = [
        ({}, {}, texts.INVALID_KEY),
        ({"key": "no such key"}, {}, texts.INVALID_KEY),
        ({"key": "x" * 600}, {}, texts.INVALID_KEY),
        ({"key": keys.reader}, {"Idempotency-Key": "k" * 300}, texts.INCORRECT_REQUEST),
        ({"key": keys.reader}, {"Idempotency-Key": ""}, texts.INCORRECT_REQUEST),
    ]
    for fields, headers, text in refused:
        answers = {
            shape: await call(client, shape, {"action": "services", **fields}, **headers)
            for shape in SHAPES
        }
        for shape, answer in answers.items():
            assert answer.status_code == 200, (shape, fields, headers)
            assert answer.json() == {"error": text}, (shape, fields, headers)
            assert answer.headers.get("x-ratelimit-limit") == answers["json"].headers.get(
                "x-ratelimit-limit"
            ), (shape, fields, headers)


async def test_a_fault_while_sending_the_services_bytes_is_not_answered_twice(
    app: Starlette, keys: Keys
) -> None:
    body = f"key={keys.reader}&action=services".encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/v2", "raw_path": b"/api/v2", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
    }  # fmt: skip
    sent: list[str] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "http.response.body":
            raise OSError("the connection broke while the answer was being written")

    with pytest.raises(OSError, match="connection broke"):
        await app(scope, receive, send)
    # One answer begun, and no second one (an error) sent after it.
    assert sent == ["http.response.start", "http.response.body"]


async def test_a_repeated_header_is_read_by_its_first_value_on_every_shape(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    # The ASGI path reads the headers it needs in one pass; like `Request.headers`, it takes
    # the first value of a header sent twice.
    fields = {"key": keys.reader, "action": "services"}
    etag = (await call(client, "form", fields)).headers["etag"]
    made = {
        "form": client.build_request("POST", "/api/v2", data=fields),
        "query": client.build_request("GET", "/api/v2", params=fields),
        "json": client.build_request("POST", "/api/v2", json=fields),
        "multipart": client.build_request(
            "POST", "/api/v2", files={name: (None, value) for name, value in fields.items()}
        ),
    }
    for shape, made_request in made.items():
        made_request.read()  # a multipart body is a stream until read
        for named, status in (([etag, '"other"'], 304), (['"other"', etag], 200)):
            twice = [(b"If-None-Match", value.encode()) for value in named]
            request = client.build_request(
                made_request.method, made_request.url, content=made_request.content,
                headers=[*made_request.headers.raw, *twice],
            )  # fmt: skip
            answer = await client.send(request)
            assert answer.status_code == status, (shape, named)
