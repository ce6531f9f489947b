"""``/v1/webhooks``: managing webhook endpoints (JSON, admin scope).

::

    POST   /v1/webhooks                          {"url", "event_types", "description"}
                                                 -> 201, the endpoint and its "secret" (once)
    GET    /v1/webhooks                          -> {"data": [endpoint, ...]}
    GET    /v1/webhooks/{id}                     -> endpoint
    PATCH  /v1/webhooks/{id}                     {"url"?, "event_types"?, "description"?,
                                                  "enabled"?} -> endpoint
    POST   /v1/webhooks/{id}/disable             -> endpoint
    POST   /v1/webhooks/{id}/enable              -> endpoint
    POST   /v1/webhooks/{id}/rotate-secret       -> endpoint and its new "secret" (once)
    DELETE /v1/webhooks/{id}                     -> 204
    GET    /v1/webhooks/{id}/deliveries?limit=50&before=ID -> {"data": [delivery, ...]}
    POST   /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver -> 202, the new delivery

Errors are ``{"error": {"code": ..., "message": ...}}`` with a 4xx status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway import metrics
from gateway.auth import Scope, bearer_token
from gateway.config import Settings
from gateway.events import EVENT_TYPES
from gateway.rest.body import BodyError, BodyTooLarge, json_body
from gateway.rest.responses import json_answer, problem, timed
from gateway.rest.state import RestState, rest_state
from gateway.store import WebhookDeliveryRow, WebhookEndpointRow
from gateway.webhooks.endpoints import Created, EndpointError, EndpointNotFound

log = logging.getLogger(__name__)

Action = Callable[[Request, RestState], Awaitable[Response]]


def endpoint_json(row: WebhookEndpointRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "description": row.description,
        "event_types": row.event_types,
        "enabled": row.enabled,
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def created_json(created: Created) -> dict[str, Any]:
    return {**endpoint_json(created.endpoint), "secret": created.secret}


def delivery_json(row: WebhookDeliveryRow) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return None if value is None else str(value.isoformat())

    return {
        "id": row.id,
        "endpoint_id": row.endpoint_id,
        "event_id": row.event_id,
        "state": row.state,
        "attempts": row.attempt,
        "status_code": row.status_code,
        "error": row.error,
        "next_attempt_at": stamp(row.next_attempt_at),
        "delivered_at": stamp(row.delivered_at),
        "created_at": stamp(row.created_at),
    }


def _id(value: str) -> int | None:
    """An id as the ledger's are written: ASCII digits, at most 18 (within 64 bits)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _int(request: Request, name: str) -> int:
    found = _id(str(request.path_params.get(name, "")))
    if found is None:
        raise EndpointNotFound(f"no such {name.replace('_', ' ')}")
    return found


async def _object(request: Request, state: RestState) -> dict[str, Any]:
    body = await json_body(request, state.limits.max_body_bytes)
    if not isinstance(body, dict):
        raise EndpointError("the body must be a JSON object")
    return body


async def create(request: Request, state: RestState) -> Response:
    body = await _object(request, state)
    created = await state.endpoints.create(
        url=body.get("url"),
        event_types=body.get("event_types"),
        description=body.get("description"),
    )
    return json_answer(created_json(created), status=201)


async def list_all(request: Request, state: RestState) -> Response:
    rows = await state.endpoints.store.list_webhook_endpoints()
    return json_answer({"data": [endpoint_json(r) for r in rows]})


async def event_types(request: Request, state: RestState) -> Response:
    return json_answer({"data": list(EVENT_TYPES)})


async def get_one(request: Request, state: RestState) -> Response:
    return json_answer(endpoint_json(await state.endpoints.get(_int(request, "endpoint_id"))))


async def update(request: Request, state: RestState) -> Response:
    body = await _object(request, state)
    clear = [k for k in ("description",) if k in body and body[k] is None]
    row = await state.endpoints.update(
        _int(request, "endpoint_id"),
        url=body.get("url"),
        event_types=body.get("event_types"),
        description=body.get("description"),
        enabled=body.get("enabled"),
        clear=clear,
    )
    return json_answer(endpoint_json(row))


async def disable(request: Request, state: RestState) -> Response:
    row = await state.endpoints.update(_int(request, "endpoint_id"), enabled=False)
    return json_answer(endpoint_json(row))


async def enable(request: Request, state: RestState) -> Response:
    row = await state.endpoints.update(_int(request, "endpoint_id"), enabled=True)
    return json_answer(endpoint_json(row))


async def rotate(request: Request, state: RestState) -> Response:
    return json_answer(created_json(await state.endpoints.rotate(_int(request, "endpoint_id"))))


async def delete(request: Request, state: RestState) -> Response:
    await state.endpoints.delete(_int(request, "endpoint_id"))
    return Response(status_code=204)


async def deliveries(request: Request, state: RestState) -> Response:
    endpoint = await state.endpoints.get(_int(request, "endpoint_id"))
    try:
        limit = min(max(int(request.query_params.get("limit", "50")), 1), 500)
    except ValueError:
        raise EndpointError("limit must be an integer") from None
    before = request.query_params.get("before")
    before_id = _id(before) if before else None
    if before and before_id is None:  # signs, spaces, or past the ledger's 64-bit ids
        raise EndpointError("before must be a delivery id")
    rows = await state.endpoints.store.list_webhook_deliveries(
        endpoint.id, limit=limit, before_id=before_id
    )
    return json_answer({"data": [delivery_json(r) for r in rows]})


async def redeliver(request: Request, state: RestState) -> Response:
    endpoint = await state.endpoints.get(_int(request, "endpoint_id"))
    store = state.endpoints.store
    found = await store.get_webhook_delivery(_int(request, "delivery_id"))
    if found is None or found.endpoint_id != endpoint.id:
        raise EndpointNotFound("no such delivery")
    row = await store.add_webhook_delivery(found.endpoint_id, found.event_id, once=False)
    assert row is not None
    return json_answer(delivery_json(row), status=202)


def _guard(
    settings: Settings, route: str, action: Action
) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate (admin scope), rate-limit and translate errors around `action`."""

    @timed(route)
    async def run(request: Request) -> Response:
        try:
            context, state = rest_state(request, settings)
            principal = await context.auth.authenticate(
                bearer_token(request.headers.get("authorization"))
            )
            # Counted before the key is judged: a caller without a valid key spends its
            # address's anonymous budget, as on /api/v2 and /graphql, so guessing keys is slow.
            address = request.client.host if request.client else "unknown"
            decision = await context.limiter.check(principal, address)
            if not decision.allowed:
                metrics.RATE_LIMITED.labels("v1").inc()
                return problem(
                    429, "RATE_LIMITED", "rate limit exceeded",
                    **{"Retry-After": str(int(decision.retry_after + 0.999))},
                )  # fmt: skip
            if principal is None:
                return problem(
                    401, "UNAUTHENTICATED", "a valid API key is required (Authorization: Bearer)",
                    **{"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
            if not principal.can(Scope.ADMIN):
                return problem(403, "FORBIDDEN", "webhook management needs the admin scope")
            return await action(request, state)
        except EndpointNotFound as exc:
            return problem(404, "NOT_FOUND", str(exc))
        except BodyTooLarge:
            return problem(413, "TOO_LARGE", "request body too large")
        except (EndpointError, BodyError) as exc:
            return problem(422, "INVALID", str(exc))
        except ClientDisconnect:
            log.info("%s %s: the client hung up before its request was read", request.method, route)
            return problem(400, "BAD_REQUEST", "the request body ended early")
        except Exception:
            log.exception("%s %s failed", request.method, route)
            return problem(500, "INTERNAL", "internal error")

    return run


def webhook_routes(settings: Settings) -> list[BaseRoute]:
    base = "/v1/webhooks"
    one = base + "/{endpoint_id}"
    table: list[tuple[str, str, Action]] = [
        (base, "POST", create),
        (base, "GET", list_all),
        (base + "/event-types", "GET", event_types),
        (one, "GET", get_one),
        (one, "PATCH", update),
        (one, "DELETE", delete),
        (one + "/disable", "POST", disable),
        (one + "/enable", "POST", enable),
        (one + "/rotate-secret", "POST", rotate),
        (one + "/deliveries", "GET", deliveries),
        (one + "/deliveries/{delivery_id}/redeliver", "POST", redeliver),
    ]
    by_path: dict[str, dict[str, Action]] = {}
    for path, method, action in table:
        by_path.setdefault(path, {})[method] = action
    routes: list[BaseRoute] = []
    for path, methods in by_path.items():
        routes.append(Route(path, _dispatch(settings, path, methods), methods=list(methods)))
    return routes


def _dispatch(
    settings: Settings, path: str, methods: dict[str, Action]
) -> Callable[[Request], Awaitable[Response]]:
    guarded = {method: _guard(settings, path, action) for method, action in methods.items()}

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await guarded[method](request)

    return endpoint
