"""JSON answers and request timing shared by the REST routes.

Answers are encoded with orjson when it is installed: the same bytes as Starlette's
`JSONResponse` (compact, UTF-8, no ASCII escapes) for the texts, integers, booleans, lists and
objects the REST faces answer (money is always a text), several times faster on a large list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway import metrics

try:
    import orjson
except ImportError:  # pragma: no cover (a dependency; the standard encoder gives the same bytes)
    orjson = None  # type: ignore[assignment]

Endpoint = Callable[[Request], Awaitable[Response]]


def render_json(content: Any) -> bytes:
    """`content` as `JSONResponse` renders it, by orjson when it can."""
    if orjson is not None:
        try:
            return orjson.dumps(content)
        except TypeError:  # a value orjson declines (an integer past 64 bits): the slow road
            pass
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


class FastJSONResponse(JSONResponse):
    """A `JSONResponse` rendered by `render_json`."""

    def render(self, content: Any) -> bytes:
        return render_json(content)


def json_answer(
    content: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return FastJSONResponse(content, status_code=status, headers=dict(headers or {}))


def problem(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """A management API error: ``{"error": {"code": ..., "message": ...}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def timed(route: str) -> Callable[[Endpoint], Endpoint]:
    """Count and time every request of an endpoint under its route template."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            status = 500
            try:
                response = await endpoint(request)
                status = response.status_code
                return response
            finally:
                metrics.observe_request(
                    route, request.method, status, time.perf_counter() - started
                )

        return run

    return decorate
