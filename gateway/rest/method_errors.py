"""A method a route does not take, answered in the shape of the protocol asked::

    PUT /api/v2      -> 405 {"error": "Incorrect request"}
    PUT /graphql     -> 405 {"data": null, "errors": [{"message": ..., "extensions":
                                                        {"code": "METHOD_NOT_ALLOWED"}}]}
    PUT /v1/webhooks -> 405 {"error": {"code": "METHOD_NOT_ALLOWED", "message": ...}}

with the ``Allow`` header Starlette names. Installed by `gateway.app` for status 405.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.rest import v2_texts as texts
from gateway.rest.responses import problem

METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    headers = dict(getattr(exc, "headers", None) or {})
    path = request.url.path
    if path.rstrip("/") == "/api/v2":
        return JSONResponse({"error": texts.INCORRECT_REQUEST}, 405, headers=headers)
    allowed = headers.get("Allow") or headers.get("allow") or "another method"
    message = f"{request.method} is not allowed here; use {allowed}"
    if path.rstrip("/") == "/graphql":
        error = {"message": message, "extensions": {"code": METHOD_NOT_ALLOWED}}
        return JSONResponse({"data": None, "errors": [error]}, 405, headers=headers)
    return problem(405, METHOD_NOT_ALLOWED, message, **headers)
