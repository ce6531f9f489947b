"""A GraphQL request's body as the endpoint reads it before Strawberry does: read at most so
long, decoded once, and refused in GraphQL's JSON shape when it is no GraphQL request at all
(Strawberry would answer in plain text, or fail on it)."""

from __future__ import annotations

import json

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope
from strawberry.http.parse_content_type import parse_content_type

from gateway.context import header
from gateway.rest.body import BodyError, BodyTooLarge, receive_limited


class BadBody(Exception):
    """A request body that is no GraphQL request at all: answered 400 or 413, never a 500."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def raw_body(scope: Scope, receive: Receive, max_bytes: int) -> bytes:
    """The body of a POST, read at most `max_bytes` long."""
    try:
        return await receive_limited(receive, header(scope, b"content-length"), max_bytes)
    except BodyTooLarge:
        raise BadBody(f"request body over {max_bytes} bytes", 413) from None
    except BodyError:
        raise BadBody("unreadable request body", 400) from None


NOT_A_REQUEST = "the body is not a JSON GraphQL request"


def is_json(content_type: str | None) -> bool:
    return content_type is not None and content_type.startswith("application/json")


def _read_as_json(content_type: str | None) -> bool:
    """Whether Strawberry reads a POST body of `content_type` as JSON: its own test (the media
    type contains ``application/json``, as ``text/plain, application/json`` does), after the
    quick one for the usual spelling."""
    if is_json(content_type):
        return True
    return content_type is not None and "application/json" in parse_content_type(content_type)[0]


def json_body(request: Request, body: bytes) -> object:
    """The JSON of a POST's `body` (None for content types Strawberry does not read as JSON):
    an object, or a list (a batch, which Strawberry refuses in its own words). Any other JSON
    value (``"x"``, ``5``, ``null``) is no request either, refused as invalid JSON is:
    Strawberry would take it for a request and fail on it (a 500)."""
    if not _read_as_json(request.headers.get("content-type")):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadBody(NOT_A_REQUEST, 400) from None
    if not isinstance(data, dict | list):
        raise BadBody(NOT_A_REQUEST, 400)
    return data


def bad_body(exc: BadBody) -> Response:
    error = {"message": str(exc), "extensions": {"code": "BAD_REQUEST"}}
    return JSONResponse({"data": None, "errors": [error]}, status_code=exc.status)


def is_subscription(data: object, max_tokens: int) -> bool:
    """Whether a request over HTTP runs a subscription, which only the WebSocket serves."""
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return False
    if "subscription" not in data["query"]:
        return False  # the usual case, without parsing twice
    try:
        document = parse(data["query"], no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False  # the view reports it
    name = data.get("operationName")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
    return len(chosen) == 1 and chosen[0].operation is OperationType.SUBSCRIPTION


PERSISTED_QUERY_NOT_SUPPORTED = "PersistedQueryNotSupported"
"""The words (and, upper-cased with underscores, the code) that Apollo's and urql's persisted
query links take for "send the whole query from now on"."""


def persisted_query_only(data: object) -> bool:
    """Whether `data` (a POST's JSON, or a GET's parameters, whose ``extensions`` is JSON text)
    names a persisted query by its hash without the query: the gateway keeps none."""
    if not isinstance(data, dict) or data.get("query"):
        return False
    extensions = data.get("extensions")
    if isinstance(extensions, str):
        try:
            extensions = json.loads(extensions)
        except (ValueError, RecursionError):
            return False
    return isinstance(extensions, dict) and "persistedQuery" in extensions


def persisted_query_refusal() -> Response:
    code = "PERSISTED_QUERY_NOT_SUPPORTED"
    error = {"message": PERSISTED_QUERY_NOT_SUPPORTED, "extensions": {"code": code}}
    return JSONResponse({"data": None, "errors": [error]}, status_code=400)
