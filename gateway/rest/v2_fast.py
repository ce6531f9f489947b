"""``/api/v2`` as an ASGI app: ``action=services`` answered from the scope and the raw body.

A ``services`` call is the busiest v2 call and its answer is kept bytes (`v2_services`), so the
work around it is most of its cost. A call whose fields come as a urlencoded form POST or a GET
query string (what panel software sends) is read here straight from the ASGI scope and
``receive``: no `Request`, no `Response` object; the headers sent are the ones `Response` would
send, in the same order. Every other call (another action, a JSON or multipart body, a HEAD)
goes to the `Request` endpoint of `v2` with the body already read, so it is counted by the
per-key limit once, as before, and answers exactly as before. Both paths are timed under the
route's template, and every fault is answered in the v2 ``{"error": ...}`` shape.
"""

from __future__ import annotations

import time

from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway import metrics
from gateway.config import Settings
from gateway.context import AppContext, client_address
from gateway.rest.body import FORM, form_fields, receive_limited
from gateway.rest.state import RestState, rest_state
from gateway.rest.v2 import ROUTE, admit, error, fault, rendered_services
from gateway.rest.v2 import serve as serve_request
from gateway.rest.v2_actions import V2Error
from gateway.rest.v2_services import Rendered

_CACHE_CONTROL = (b"cache-control", b"private, no-cache")
_JSON = (b"content-type", b"application/json")


_WANTED = frozenset(
    (b"content-type", b"content-length", b"authorization", b"idempotency-key", b"if-none-match")
)
"""The request headers this app reads."""


def _wanted_headers(scope: Scope) -> dict[bytes, str]:
    """The first value of each header in `_WANTED` that `scope` has, as `header` reads it: one
    pass over the headers instead of one per name."""
    found: dict[bytes, str] = {}
    for key, value in scope["headers"]:
        if key in _WANTED and key not in found:
            found[key] = value.decode("latin-1")
    return found


_RAW_NAMES: dict[str, bytes] = {}
"""Header names as sent (lower case bytes), by the name `admit` gives them: a few fixed ones."""


def _raw_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """`headers` as ASGI sends them, as `Response` would encode them."""
    raw = []
    for name, value in headers.items():
        sent = _RAW_NAMES.get(name)
        if sent is None:
            sent = _RAW_NAMES[name] = name.lower().encode("latin-1")
        raw.append((sent, value.encode("latin-1")))
    return raw


def _form_type(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() == FORM


async def _send_services(
    rendered: Rendered, if_none_match: str | None, limit: list[tuple[bytes, bytes]], send: Send
) -> int:
    """What `services_response` sends, sent as it is: 304 when the caller has these bytes."""
    headers = [*limit, (b"etag", rendered.etag_raw), _CACHE_CONTROL]
    if rendered.matches(if_none_match):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return 304
    headers.append((b"content-length", rendered.length_raw))
    headers.append(_JSON)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": rendered.body})
    return 200


class V2App:
    """The ``/api/v2`` ASGI app for `settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method = scope["method"]
        status = 500
        try:
            status = await self._serve(scope, receive, send)
        finally:
            metrics.observe_request(ROUTE, method, status, time.perf_counter() - started)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, response: Response) -> int:
        await response(scope, receive, send)
        return response.status_code

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> int:
        method = scope["method"]
        body: bytes | None = None
        sent = _wanted_headers(scope)
        try:
            if method == "POST" and _form_type(sent.get(b"content-type")):
                context, state = rest_state(HTTPConnection(scope), self.settings)
                declared = sent.get(b"content-length")
                body = await receive_limited(receive, declared, state.limits.max_body_bytes)
                query = scope.get("query_string")
                fields = dict(QueryParams(query)) if query else {}
                if body.strip():
                    fields.update(form_fields(body))
            elif method == "GET":
                context, state = rest_state(HTTPConnection(scope), self.settings)
                fields = dict(QueryParams(scope.get("query_string", b"")))
            else:
                fields = None
            services = None
            if fields is not None and fields.get("action", "").strip().lower() == "services":
                services = await self._services(scope, fields, sent, context, state)
        except Exception as exc:
            return await self._answer(scope, receive, send, fault(exc, client_address(scope)))
        # Sent outside the `try`: a fault while sending is not answered a second time.
        if isinstance(services, Response):
            return await self._answer(scope, receive, send, services)
        if services is not None:
            rendered, raw = services
            return await _send_services(rendered, sent.get(b"if-none-match"), raw, send)
        # Any other call: the `Request` endpoint, with the body this path read already.
        request = Request(scope, receive, send)
        if body is not None:
            request._body = body
        response = await serve_request(request, self.settings)
        return await self._answer(scope, receive, send, response)

    async def _services(
        self,
        scope: Scope,
        fields: dict[str, str],
        sent: dict[bytes, str],
        context: AppContext,
        state: RestState,
    ) -> Response | tuple[Rendered, list[tuple[bytes, bytes]]]:
        """``action=services``, admitted and answered as `v2.serve` does: a refusal, or the
        kept bytes and the headers to send them with."""
        admitted = await admit(
            context, fields, sent.get(b"authorization"), client_address(scope),
            sent.get(b"idempotency-key"),
        )  # fmt: skip
        if isinstance(admitted, Response):
            return admitted
        try:
            rendered = await rendered_services(admitted.call, state)
        except V2Error as exc:
            return error(exc.text, admitted.headers)
        return rendered, _raw_headers(admitted.headers)
