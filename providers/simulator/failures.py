"""The answers of a failing panel: HTML error pages, cut-short JSON, dropped connections."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

BAD_GATEWAY_PAGE = """<html>
<head><title>{status} {reason}</title></head>
<body>
<center><h1>{status} {reason}</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""

CLOUDFLARE_PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head>
<title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
</head>
<body>
<div class="main-wrapper" role="main">
<div class="main-content">
<h1 class="zone-name-title h1">Checking if the site connection is secure</h1>
<p>Enable JavaScript and cookies to continue</p>
</div>
</div>
<div class="footer">Performance &amp; security by Cloudflare</div>
</body>
</html>
"""

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Time-out"}  # fmt: skip


def gateway_error(status: int) -> Response:
    """An nginx-style HTML error page with `status`."""
    reason = _REASONS.get(status, "Server Error")
    page = BAD_GATEWAY_PAGE.format(status=status, reason=reason)
    return Response(page, status_code=status, media_type="text/html")


def cloudflare_page() -> Response:
    """A Cloudflare challenge page served with HTTP 200, where JSON was expected."""
    return Response(CLOUDFLARE_PAGE, status_code=200, media_type="text/html")


def truncated(body: bytes, media_type: str) -> Response:
    """HTTP 200 with the first half of `body`: JSON that does not parse."""
    return Response(body[: max(1, len(body) // 2)], status_code=200, media_type=media_type)


class DroppedResponse(Response):
    """Announces the whole body, sends half of it, and never finishes.

    The server then closes the connection mid-body, so the client sees a protocol error
    rather than an answer, exactly as when a panel's connection resets after the work is done.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2],
             "more_body": True}
        )  # fmt: skip


async def wait_for_disconnect(request: Request, seconds: float) -> bool:
    """Sleep up to `seconds`, ending early when the client goes away; True if it did.

    Returning early matters: the server waits for running calls before it can shut down.
    """
    with anyio.move_on_after(seconds):
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return True
    return False
