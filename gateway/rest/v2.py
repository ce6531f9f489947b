"""``/api/v2``: the gateway as one more v2 panel, for panel software and client libraries.

The key comes as the ``key`` field (as panels take it) or an ``Authorization: Bearer`` header;
fields come as a form POST, a GET query or a JSON body. Every answer is JSON with HTTP 200,
errors included (``{"error": "Incorrect order ID"}``), as panel clients expect: whatever the
input, never a 500 or a stack trace. An ``Idempotency-Key`` header makes ``add`` safe to retry.
``services`` is answered from bytes rendered once per catalog and price list, with an ``ETag``
(``If-None-Match`` gets a 304: `v2_services`); the endpoint is an ASGI app (`v2_fast`) that
answers a form or query ``services`` call without a `Request` and hands every other call to
`serve` here.
A key of a client account sees that account's funds, prices and charges (`v2_accounts`).
A ``HEAD`` runs the read actions only: ``add``, ``refill`` and ``cancel`` are refused with 405.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp

from gateway import metrics
from gateway.auth import Scope, bearer_token
from gateway.config import Settings
from gateway.context import AppContext
from gateway.ratelimit import Decision
from gateway.rest import v2_texts as texts
from gateway.rest.body import BodyError, BodyTooLarge, v2_fields
from gateway.rest.responses import json_answer
from gateway.rest.state import RestState, rest_state
from gateway.rest.v2_actions import ACTIONS, Call, Handler, V2Error, services
from gateway.rest.v2_services import Rendered, services_response

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 512
MAX_IDEMPOTENCY_KEY = 255
ROUTE = "/api/v2"
"""The route's template, as its requests are counted."""
_ALLOW = {"Allow": "GET, POST"}


def error(text: str, headers: dict[str, str] | None = None) -> Response:
    return json_answer({"error": text}, headers=headers)


def limit_headers(decision: Decision) -> dict[str, str]:
    headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(int(decision.retry_after + 0.999))
    return headers


def throttled(decision: Decision) -> Response:
    metrics.RATE_LIMITED.labels("v2").inc()
    text = texts.rate_limit_text(decision.limit, decision.per)
    return error(text, limit_headers(decision))


@dataclass(slots=True)
class Admitted:
    """A call that passed every check (`admit`): what to run, and the headers it answers with
    (not frozen: one per call, and frozen costs more to make)."""

    call: Call
    handler: Handler
    headers: dict[str, str]
    writes: bool = False
    """Whether the action changes something (``add``, ``refill``, ``cancel``)."""


async def admit(
    context: AppContext,
    fields: Mapping[str, str],
    authorization: str | None,
    address: str,
    idempotency_key: str | None,
) -> Admitted | Response:
    """The checks every v2 call passes, in this order, on either path (`v2_fast` or `serve`):
    the key, the per-key (or per-address) limit, the action, the key's scope for it and the
    ``Idempotency-Key`` header. A refusal comes back as the answer to send."""
    key = fields.get("key", "").strip() or bearer_token(authorization)
    principal = None
    if key and len(key) <= MAX_KEY_LENGTH:
        principal = await context.auth.authenticate(key)
    decision = await context.limiter.check(principal, address)
    if principal is None:
        return throttled(decision) if not decision.allowed else error(texts.INVALID_KEY)
    if not decision.allowed:
        return throttled(decision)
    headers = limit_headers(decision)
    action = ACTIONS.get(fields.get("action", "").strip().lower())
    if action is None:
        return error(texts.INCORRECT_REQUEST, headers)
    scope, handler = action
    if not principal.can(scope):
        return error(texts.NOT_ALLOWED, headers)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        return error(texts.INCORRECT_REQUEST, headers)
    call = Call(context, principal, fields, idempotency_key)
    return Admitted(call, handler, headers, writes=scope is Scope.ORDER)


async def rendered_services(call: Call, state: RestState) -> Rendered:
    """The ``services`` answer as bytes kept per catalog and price list (the caller's account's);
    ``V2Error`` when the key outlived its account."""
    return await state.services.answer(call, await call.account())


def fault(exc: Exception, address: str) -> Response:
    """The answer to a call that failed before or outside its action, on either path."""
    if isinstance(exc, BodyTooLarge):
        return error(texts.TOO_LARGE)
    if isinstance(exc, BodyError):
        return error(texts.INCORRECT_REQUEST)
    if isinstance(exc, ClientDisconnect):
        # The client's own doing, and no one reads the answer: one line, no traceback.
        log.info("/api/v2 client %s hung up before its request was read", address)
        return error(texts.INCORRECT_REQUEST)
    # Panel clients read any non-JSON answer as an outage; a panel's own text for an internal
    # fault keeps them (and this project's adapters) on known ground.
    log.error("/api/v2 call failed", exc_info=exc)
    return error(texts.INTERNAL)


async def _serve(request: Request, settings: Settings) -> Response:
    context, state = rest_state(request, settings)
    fields = await v2_fields(request, state.limits.max_body_bytes)
    address = request.client.host if request.client else "unknown"
    admitted = await admit(
        context, fields, request.headers.get("authorization"), address,
        request.headers.get("idempotency-key"),
    )  # fmt: skip
    if isinstance(admitted, Response):
        return admitted
    call, headers = admitted.call, admitted.headers
    if admitted.writes and request.method == "HEAD":
        # A HEAD's answer has no body: an order placed by one (a link checker's, a proxy's
        # probe of a GET-style URL) would never be told to its client, who places it again.
        return json_answer({"error": texts.INCORRECT_REQUEST}, 405, {**headers, **_ALLOW})
    try:
        if admitted.handler is services:  # bytes kept per catalog and price list, with an ETag
            rendered = await rendered_services(call, state)
            return services_response(rendered, request.headers.get("if-none-match"), headers)
        return json_answer(await admitted.handler(call), headers=headers)
    except V2Error as exc:
        return error(exc.text, headers)


async def serve(request: Request, settings: Settings) -> Response:
    """The answer to a v2 call, whatever its input: never an exception."""
    try:
        return await _serve(request, settings)
    except Exception as exc:
        return fault(exc, request.client.host if request.client else "unknown")


def v2_endpoint(settings: Settings) -> ASGIApp:
    """The ``/api/v2`` endpoint for `settings` (an ASGI app: `v2_fast.V2App`)."""
    from gateway.rest.v2_fast import V2App  # which serves every other call by `serve`

    return V2App(settings)
