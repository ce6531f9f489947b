"""The serving stack: the gateway serves on uvloop's loop with httptools' parser when they are
installed (they are dependencies), and on asyncio's loop with h11 where they cannot be imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateway import serving

# A server as `smm-gateway serve` and the demo start it, answering the type of the loop it runs
# on; with "hide", uvloop and httptools cannot be imported in that process.
SERVER = """
import asyncio, socket, sys
import httpx, uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
if sys.argv[1] == "hide":
    sys.modules["uvloop"] = None
    sys.modules["httptools"] = None
from gateway import serving

async def loop_type(request):
    loop = asyncio.get_running_loop()
    return PlainTextResponse(f"{type(loop).__module__}.{type(loop).__name__}")

async def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    options = serving.uvicorn_options()
    app = Starlette(routes=[Route("/", loop_type)])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{sock.getsockname()[1]}/")
    print(answer.text, options["loop"], server.config.http_protocol_class.__name__)
    server.should_exit = True
    await task

serving.run(main())
"""


def serve_and_ask(mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SERVER, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_gateway_serves_on_uvloop_with_httptools_when_installed() -> None:
    pytest.importorskip("uvloop")
    pytest.importorskip("httptools")
    assert serving.uvicorn_options() == {"loop": "uvloop", "http": "httptools"}
    assert serve_and_ask("installed") == ["uvloop.Loop", "uvloop", "HttpToolsProtocol"]


def test_without_uvloop_and_httptools_it_serves_on_asyncio_and_h11() -> None:
    loop, name, http = serve_and_ask("hide")
    assert loop.startswith("asyncio.")
    assert loop.endswith("EventLoop")
    assert (name, http) == ("asyncio", "H11Protocol")
