"""The console's routes: its page at ``/console`` and its assets below ``/console/static``, every
response with a strict Content-Security-Policy.

The page holds no data and needs no key: it asks the operator for one, keeps it in the tab's
``sessionStorage`` and sends it as ``Authorization: Bearer`` to the APIs. The policy allows
scripts, styles and connections to this origin only, and no inline script, so even a string
that slipped into the page as markup could not run.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.config import Settings
from gateway.graphql.options import GraphQLOptions

PATH = "/console"
"""Where the console is served."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        # The key form is handled by script and never submitted: if script failed, the browser
        # must not send it anywhere either.
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
"""Same origin only, no inline script or style, no framing, no form submission."""

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware: `HEADERS` on every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


@cache
def _template() -> str:
    return resources.files("gateway.console").joinpath("static/index.html").read_text("utf-8")


def render(root_path: str, graphql_path: str) -> str:
    """The page, pointing at its assets and the GraphQL endpoint below `root_path`."""
    base = root_path + PATH
    return (
        _template()
        .replace("{{ROOT}}", html.escape(root_path, quote=True))
        .replace("{{CONSOLE}}", html.escape(base, quote=True))
        .replace("{{GRAPHQL}}", html.escape(root_path + graphql_path, quote=True))
    )


def routes(settings: Settings) -> list[BaseRoute]:
    """``/console`` (the page), ``/console/`` (a redirect to it) and its static assets."""
    graphql_path = GraphQLOptions.from_settings(settings).path

    async def page(request: Request) -> Response:
        answer = HTMLResponse(render(request.scope.get("root_path", ""), graphql_path))
        answer.headers["Cache-Control"] = "no-store"
        return answer

    async def slash(request: Request) -> Response:
        return RedirectResponse(request.scope.get("root_path", "") + PATH, status_code=308)

    files = StaticFiles(packages=[("gateway.console", "static")])
    return [
        Route(PATH, SecurityHeaders(request_response(page)), methods=["GET", "HEAD"]),
        Route(PATH + "/", SecurityHeaders(request_response(slash)), methods=["GET", "HEAD"]),
        Mount(PATH + "/static", app=SecurityHeaders(files), name="console-assets"),
    ]
