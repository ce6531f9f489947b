"""The OpenAPI 3.1 document of the ``/v1`` resources, served at ``GET /v1/openapi.json``.

Written out by hand beside the routes (`gateway.rest.webhooks`); a test compares its paths and
methods with the app's live routes, and fuzzes the app against it. A new ``/v1`` route adds its
operation to `PATHS`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.events import EVENT_TYPES

PATH = "/v1/openapi.json"
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"description": description}
    if schema is not None:
        found["content"] = {JSON: {"schema": schema}}
    return found


ERRORS = {
    "401": _answer("No valid API key.", _ref("Error")),
    "403": _answer("The key lacks the admin scope.", _ref("Error")),
    "429": _answer("Over the key's (or address's) request limit.", _ref("Error")),
}
NOT_FOUND = {"404": _answer("No such endpoint (or delivery).", _ref("Error"))}
INVALID = {
    "400": _answer("The body ended early.", _ref("Error")),
    "413": _answer("The body is too large.", _ref("Error")),
    "422": _answer("The body is not what the operation takes.", _ref("Error")),
}
ENDPOINT_ID: dict[str, Any] = {
    "name": "endpoint_id", "in": "path", "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
}  # fmt: skip
DELIVERY_ID = {**ENDPOINT_ID, "name": "delivery_id"}


def _operation(
    summary: str,
    answers: dict[str, Any],
    *,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {**answers, **ERRORS, **(INVALID if body else {})},
    }
    if body is not None:
        found["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    if parameters:
        found["parameters"] = parameters
    return found


def _paths() -> dict[str, Any]:
    one = "/v1/webhooks/{endpoint_id}"
    endpoint = {"200": _answer("The endpoint.", _ref("Endpoint")), **NOT_FOUND}
    secret = _answer("The endpoint and its signing secret, shown once.", _ref("Created"))

    def listed(items: dict[str, Any]) -> dict[str, Any]:
        data = {"type": "array", "items": items}
        return {"type": "object", "required": ["data"], "properties": {"data": data}}

    kinds = listed({"type": "string", "enum": list(EVENT_TYPES)})
    by_id = [ENDPOINT_ID]
    pages = [
        ENDPOINT_ID,
        {"name": "limit", "in": "query", "schema": {"type": "string"}},
        {"name": "before", "in": "query", "schema": {"type": "string"}},
    ]
    deliveries = {
        "200": _answer("Deliveries.", listed(_ref("Delivery"))),
        "422": _answer("limit is no integer, or before no delivery id.", _ref("Error")),
        **NOT_FOUND,
    }
    redelivered = {"202": _answer("The new delivery.", _ref("Delivery")), **NOT_FOUND}
    return {
        "/v1/webhooks": {
            "get": _operation(
                "List webhook endpoints.", {"200": _answer("All.", listed(_ref("Endpoint")))}
            ),
            "post": _operation("Create an endpoint.", {"201": secret}, body="NewEndpoint"),
        },
        "/v1/webhooks/event-types": {
            "get": _operation("Event types to subscribe to.", {"200": _answer("All.", kinds)}),
        },
        one: {
            "get": _operation("One endpoint.", endpoint, parameters=by_id),
            "patch": _operation(
                "Change an endpoint.", endpoint, body="EndpointChange", parameters=by_id
            ),
            "delete": _operation(
                "Delete an endpoint.", {"204": _answer("Deleted."), **NOT_FOUND}, parameters=by_id
            ),
        },
        one + "/disable": {"post": _operation("Stop deliveries.", endpoint, parameters=by_id)},
        one + "/enable": {"post": _operation("Resume deliveries.", endpoint, parameters=by_id)},
        one + "/rotate-secret": {
            "post": _operation(
                "A new signing secret; the old one signs beside it for a while.",
                {"200": secret, **NOT_FOUND}, parameters=by_id,
            ),
        },
        one + "/deliveries": {
            "get": _operation("Deliveries, newest first.", deliveries, parameters=pages),
        },
        one + "/deliveries/{delivery_id}/redeliver": {
            "post": _operation(
                "Send a delivery's event again.", redelivered,
                parameters=[ENDPOINT_ID, DELIVERY_ID],
            ),
        },
        PATH: {
            "get": {
                "summary": "This document.",
                "responses": {"200": _answer("The OpenAPI document.", {"type": "object"})},
            },
        },
    }  # fmt: skip


def _components() -> dict[str, Any]:
    text = {"type": "string"}
    maybe_text = {"type": ["string", "null"]}
    stamp = {"type": "string", "format": "date-time"}
    maybe_stamp = {"type": ["string", "null"], "format": "date-time"}
    events = {"type": "array", "items": {"type": "string"}}
    endpoint: dict[str, Any] = {
        "type": "object",
        "required": ["id", "url", "description", "event_types", "enabled", "disabled_reason",
                     "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"}, "url": text, "description": maybe_text,
            "event_types": events, "enabled": {"type": "boolean"},
            "disabled_reason": maybe_text, "created_at": stamp, "updated_at": stamp,
        },
    }  # fmt: skip
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Endpoint": endpoint,
            "Created": {
                **endpoint,
                "required": [*endpoint["required"], "secret"],
                "properties": {**endpoint["properties"], "secret": text},
            },
            "NewEndpoint": {
                "type": "object", "required": ["url"],
                "properties": {"url": text, "event_types": events, "description": maybe_text},
            },
            "EndpointChange": {
                "type": "object",
                "properties": {"url": text, "event_types": events, "description": maybe_text,
                               "enabled": {"type": "boolean"}},
            },
            "Delivery": {
                "type": "object",
                "required": ["id", "endpoint_id", "event_id", "state", "attempts", "status_code",
                             "error", "next_attempt_at", "delivered_at", "created_at"],
                "properties": {
                    "id": {"type": "integer"}, "endpoint_id": {"type": "integer"},
                    "event_id": text, "state": text,
                    "attempts": {"type": "integer"}, "status_code": {"type": ["integer", "null"]},
                    "error": maybe_text, "next_attempt_at": maybe_stamp,
                    "delivered_at": maybe_stamp, "created_at": maybe_stamp,
                },
            },
            "Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": text, "message": text},
                }},
            },
        },
    }  # fmt: skip


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smm-gateway management API",
            "version": "1",
            "description": "Webhook endpoints and their deliveries (admin keys).",
        },
        "paths": _paths(),
        "components": _components(),
    }


async def openapi_endpoint(request: Request) -> Response:
    """``GET /v1/openapi.json``."""
    return JSONResponse(document())
