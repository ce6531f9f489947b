"""The ASGI endpoint: Strawberry's view plus authentication, request ids and the response cache.

HTTP callers authenticate with ``Authorization: Bearer <key>``; WebSocket callers with the same
header on the handshake or, as browsers cannot set one, an ``Authorization`` entry in the
``connection_init`` payload. A WebSocket without a valid key is closed with 4403.

GraphiQL (``GET /graphql`` in a browser) is served with its scripts from the package
(`graphiql.html`, ``static/``): no CDN, so it works offline.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import secrets
from datetime import timedelta
from importlib import resources

from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.auth import Principal, bearer_token
from gateway.context import AppContext, app_context, header, scope_context
from gateway.graphql.catalog_view import CatalogViews
from gateway.graphql.context import Context, request_id
from gateway.graphql.encoding import answer_text
from gateway.graphql.options import GraphQLOptions
from gateway.graphql.ratelimit import PRINCIPAL
from gateway.graphql.request_body import (
    BadBody,
    bad_body,
    is_json,
    is_subscription,
    json_body,
    persisted_query_only,
    persisted_query_refusal,
    raw_body,
)
from gateway.graphql.response_cache import ResponseCache
from gateway.graphql.ws_protocol import TransportWSHandler
from gateway.store import AccountRow

REQUEST_ID_HEADER = "X-Request-ID"
SUBSCRIPTIONS_OVER_WS = (
    "subscriptions are served over a WebSocket at this URL (graphql-transport-ws), not over HTTP"
)
AUTH = "authorization"
"""The ``connection_init`` parameter of the key (any case)."""
STATIC = "/static"
"""Where GraphiQL's assets are served, below the GraphQL path."""


@functools.cache
def _graphiql_template() -> str:
    return resources.files("gateway.graphql").joinpath("graphiql.html").read_text("utf-8")


def graphiql_assets(options: GraphQLOptions) -> list[BaseRoute]:
    """The route of GraphiQL's scripts and styles (none when GraphiQL is off)."""
    if not options.graphiql:
        return []
    files = StaticFiles(packages=[("gateway.graphql", "static")])
    return [Mount(options.path + STATIC, app=files, name="graphiql-assets")]


_ids = itertools.count()
_id_prefix = secrets.token_hex(8)


def _new_id_prefix() -> None:
    global _id_prefix
    _id_prefix = secrets.token_hex(8)


# A process forked from this one (a server's workers) makes ids of its own.
os.register_at_fork(after_in_child=_new_id_prefix)


def _hit_request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` when sane, else a new one: 32 hex digits as `request_id`
    makes, here a per-process random half and a counter (no random bytes read per hit)."""
    given = header(scope, b"x-request-id")
    if given:
        return request_id(given)
    return f"{_id_prefix}{next(_ids) & 0xFFFFFFFFFFFFFFFF:016x}"


_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()


async def _send_bytes(body: bytes, rid: str, send: Send) -> None:
    """A 200 JSON answer of `body`: the headers `Response` would send, and the request id."""
    headers = [
        (b"content-length", b"%d" % len(body)),
        (b"content-type", b"application/json"),
        (_REQUEST_ID, rid.encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _account(app: AppContext, principal: Principal | None) -> AccountRow | None:
    """The client account of a key as of this request (its prices may have changed): read
    after the request arrived, one read shared by the requests waiting (`AccountReads`)."""
    if principal is None or principal.account_id is None:
        return None
    return await app.accounts.get(principal.account_id)


class GraphQLEndpoint(GraphQL[Context, None]):
    """``/graphql`` over HTTP (queries, mutations) and WebSocket (subscriptions)."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Schema, options: GraphQLOptions) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if options.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=options.max_subscriptions_per_connection,
            allowed_origins=options.cors_origins,
        )
        self.options = options
        self.views = CatalogViews()
        self.responses = ResponseCache(ttl=options.response_cache_ttl)

    def encode_json(self, data: object) -> str:
        # The text Strawberry's own encoder writes, by orjson where that is the same text.
        return answer_text(data)

    def decode_json(self, data: str | bytes) -> object:
        # JSON nested deeper than the decoder recurses is no valid JSON to a client: refused
        # as invalid JSON is (400 over HTTP, 4400 on a WebSocket), never a RecursionError.
        try:
            return super().decode_json(data)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None

    async def render_graphql_ide(self, request: Request) -> Response:
        # Behind a proxy that mounts the gateway below a prefix, the assets are below it too.
        static = request.scope.get("root_path", "") + self.options.path + STATIC
        return HTMLResponse(_graphiql_template().replace("{{STATIC}}", static))

    async def _principal(self, connection: Request | WebSocket) -> Principal | None:
        if PRINCIPAL in connection.scope:  # the rate limit in front looked it up already
            found: Principal | None = connection.scope[PRINCIPAL]
            return found
        token = bearer_token(connection.headers.get("authorization"))
        return await app_context(connection).auth.authenticate(token)

    async def _context(
        self,
        connection: Request | WebSocket,
        response: Response | WebSocket | None,
        principal: Principal | None,
        account: AccountRow | UnsetType | None = UNSET,
    ) -> Context:
        app = app_context(connection)
        if isinstance(account, UnsetType):
            account = await _account(app, principal)
        return Context(
            request=connection, response=response, app=app, options=self.options,
            principal=principal, account=account,
            request_id=request_id(connection.headers.get("x-request-id")), views=self.views,
        )  # fmt: skip

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await self._context(request, response, await self._principal(request))

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        given = params.get("Authorization", params.get("authorization"))
        # The parameters stay in the context for the connection's life, where resolvers and any
        # repr of it see them: the secret is needed for this lookup only (a key is watched for
        # its revocation by its id), so it is not kept.
        context.connection_params = {k: v for k, v in params.items() if k.lower() != AUTH}
        if isinstance(given, str):
            context.principal = await context.app.auth.authenticate(bearer_token(given))
            context.account = await _account(context.app, context.principal)
            principal = context.principal
            if principal is not None and principal.account_id is not None and not context.account:
                context.principal = None  # the key's account is gone
        if context.principal is None:
            raise ConnectionRejectionError({"message": "a valid API key is required"})
        unset: UnsetType = UNSET
        return unset

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # A hit is answered from the scope and the raw body alone: no `Request` made for it.
        app = scope_context(scope)
        if PRINCIPAL in scope:  # the rate limit in front looked it up already
            principal: Principal | None = scope[PRINCIPAL]
        else:
            principal = await app.auth.authenticate(bearer_token(header(scope, b"authorization")))
        account = await _account(app, principal)
        if principal is not None and principal.account_id is not None and account is None:
            principal = None  # an account's key whose account is gone: no wholesale fallback
        stored_key = None
        body = b""
        if scope["method"] == "POST":
            try:
                body = await raw_body(scope, receive, self.options.max_body_bytes)
            except BadBody as exc:
                await self._send(Request(scope, receive), bad_body(exc), send)
                return
            except ClientDisconnect:
                return  # the caller left before its request arrived: no one to answer
            # No JSON decoded, no query looked at again: the body's part of the key is known.
            json_body = is_json(header(scope, b"content-type"))
            key = self.responses.key_of_body(body, principal, account) if json_body else None
            if key is not None:
                stored_key, hit = await self.responses.lookup(app.gateway, key)
                if hit is not None:
                    await _send_bytes(hit, _hit_request_id(scope), send)
                    return
        request = Request(scope, receive)
        if scope["method"] == "POST":
            request._body = body  # the view below reads the same bytes again
        context = await self._context(request, None, principal, account)
        response = await self._respond(request, context, body, stored_key)
        response.headers[REQUEST_ID_HEADER] = context.request_id
        await response(scope, receive, send)

    async def _send(self, request: Request, response: Response, send: Send) -> None:
        response.headers[REQUEST_ID_HEADER] = request_id(request.headers.get("x-request-id"))
        await response(request.scope, request.receive, send)

    async def _respond(
        self, request: Request, context: Context, body: bytes, stored_key: str | None
    ) -> Response:
        """Run the request (a POST whose `body` was read, or a GET), filing a clean answer under
        `stored_key` when the response cache has a place for it."""
        if request.method == "POST":
            try:
                data = json_body(request, body)
            except BadBody as exc:
                return bad_body(exc)
        else:
            data = dict(request.query_params)
        if persisted_query_only(data):
            return persisted_query_refusal()
        if is_subscription(data, self.options.max_tokens):
            error = {"message": SUBSCRIPTIONS_OVER_WS, "extensions": {"code": "BAD_REQUEST"}}
            return JSONResponse({"data": None, "errors": [error]}, status_code=400)
        try:
            response = await self.run(request, context=context)
        except HTTPException as exc:
            # Strawberry refuses in plain text (no query, a batch, an unsupported body); a
            # GraphQL client reads errors from JSON.
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "BAD_REQUEST")
            error = {"message": exc.reason, "extensions": {"code": code}}
            return JSONResponse({"data": None, "errors": [error]}, status_code=exc.status_code)
        # Whether the answer had errors is noted as it is made: parsing a page of services
        # again here would hold the event loop as long as encoding it did.
        clean = getattr(request.state, "graphql_answered_cleanly", False)
        if stored_key is not None and response.status_code == 200 and clean:
            await self.responses.put(context.gateway, stored_key, bytes(response.body))
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        request.state.graphql_answered_cleanly = not result.errors
        return await super().process_result(request, result)
