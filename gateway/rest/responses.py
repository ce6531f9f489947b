"""JSON answers and request timing shared by the REST routes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway import metrics

Endpoint = Callable[[Request], Awaitable[Response]]


def json_answer(
    content: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers=dict(headers or {}))


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
