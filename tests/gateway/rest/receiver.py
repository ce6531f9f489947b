"""A webhook receiver on loopback that answers as told: failures, throttling, slowness, 410."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """Records every request; answers from `script` in turn, then with `default`."""

    def __init__(self, *script: Answer, default: Answer | None = None) -> None:
        self.script = deque(script)
        self.default = default or Answer()
        self.received: list[Received] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(dict(request.headers), body))
        answer = self.script.popleft() if self.script else self.default
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return Response(status_code=answer.status, headers=answer.headers)

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]
