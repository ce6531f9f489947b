"""The simulator as an ASGI app: the v2 endpoint at the profile's path, plus `/_sim/` controls.

>>> app = create_app(Panel(generate_services(seed=1), keys=["test-key"]))  # doctest: +SKIP

Every failure of a call ends in the profile's error answer (never an HTTP 500), and every call
passes the fault plan first, as a real panel sits behind proxies that fail on their own.
"""

from __future__ import annotations

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .actions import Api
from .control import control_routes
from .failures import (
    DroppedResponse,
    cloudflare_page,
    gateway_error,
    truncated,
    wait_for_disconnect,
)
from .faults import Fault, FaultKind, FaultPlan
from .params import read_params
from .problems import PanelError, Problem
from .profiles import SEED, SimProfile
from .render import dumps
from .state import Panel

__all__ = ["create_app"]

THROTTLE_TEXT = "Rate limit exceeded. Max 60 requests per minute."


class V2Endpoint:
    """The one URL of the v2 protocol: action dispatch, faults and rendering."""

    def __init__(self, api: Api, faults: FaultPlan) -> None:
        self.api = api
        self.profile = api.profile
        self.faults = faults

    def _json(
        self, body: bytes, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            body, status_code=status, headers=headers, media_type=self.profile.content_type
        )

    def _error(self, error: PanelError) -> Response:
        status = self.profile.error_status.get(error.problem, 200)
        headers = None
        if status == 429:
            headers = {"Retry-After": str(error.params.get("retry_after", 60))}
        return self._json(
            dumps(self.api.render.error(error.problem, error.params)), status, headers
        )

    def _answer(self, action: str, fields: dict[str, str], allowed: bool) -> Response:
        try:
            if not allowed:
                raise PanelError(Problem.WRONG_ENCODING)
            answer = self.api.call(action, fields)
        except PanelError as error:
            return self._error(error)
        return self._json(answer if isinstance(answer, bytes) else dumps(answer))

    async def handle(self, request: Request) -> Response:
        """Answer one call."""
        try:
            encoding, fields = await read_params(request)
        except PanelError as error:
            encoding, fields = None, {}
            early: PanelError | None = error
        else:
            early = None
        action = fields.get("action", "").strip().lower()
        self.api.panel.record_call(action or "?")
        decision = self.faults.decide(action)
        if decision.latency_ms > 0:
            await anyio.sleep(decision.latency_ms / 1000)
        if decision.hold is not None:
            await anyio.to_thread.run_sync(self.faults.wait_released, decision.hold)
        if early is not None:
            return self._error(early)
        allowed = encoding in self.profile.encodings
        if decision.fault is None:
            return self._answer(action, fields, allowed)
        return await self._fail(request, decision.fault, decision.status, action, fields, allowed)

    async def _fail(
        self,
        request: Request,
        fault: Fault,
        status: int,
        action: str,
        fields: dict[str, str],
        allowed: bool,
    ) -> Response:
        answer = self._answer(action, fields, allowed) if fault.processes else None
        kind = fault.kind
        if kind is FaultKind.TIMEOUT:
            gone = await wait_for_disconnect(request, fault.number("seconds", 30.0))
            if answer is None and not gone:
                answer = self._answer(action, fields, allowed)
            return answer or Response(status_code=204)
        if kind is FaultKind.ERROR:
            text = fault.params.get("text")
            said = {"error": str(text)} if text else self.api.render.error(Problem.INTERNAL)
            return self._json(dumps(said), int(fault.number("status", 200)))
        if kind is FaultKind.REDIRECT:
            location = str(fault.params.get("location") or "http://127.0.0.1:9/api/v2")
            return Response(
                status_code=int(fault.number("status", 307)), headers={"Location": location}
            )
        if kind is FaultKind.HTTP_5XX:
            return gateway_error(status)
        if kind is FaultKind.HTML:
            return cloudflare_page()
        if kind is FaultKind.THROTTLE:
            retry = str(int(fault.number("retry_after", 60)))
            body = dumps({"error": THROTTLE_TEXT})
            return self._json(body, 429, {"Retry-After": retry})
        body = bytes((answer or self._answer(action, fields, allowed)).body)
        if kind is FaultKind.MALFORMED:
            return truncated(body, self.profile.content_type)
        return DroppedResponse(body, media_type=self.profile.content_type)


def create_app(
    panel: Panel, profile: SimProfile = SEED, faults: FaultPlan | None = None
) -> Starlette:
    """The simulator app for `panel`, answering as `profile`, failing as `faults` say."""
    plan = faults if faults is not None else FaultPlan(seed=panel.seed)
    api = Api(panel, profile)
    endpoint = V2Endpoint(api, plan)
    routes = [
        Route(profile.path, endpoint.handle, methods=["GET", "POST"]),
        *control_routes(api, plan),
    ]
    app = Starlette(routes=routes)
    app.state.panel = panel
    app.state.profile = profile
    app.state.faults = plan
    return app
