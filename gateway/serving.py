"""The serving stack: uvloop's event loop and httptools' HTTP parser under uvicorn, when installed.

Both are dependencies of the project, yet a platform without a wheel for them (or an install
that left them out) still serves, on asyncio's own loop and uvicorn's h11 parser.

::

    uvicorn.Config(app, **uvicorn_options())   # {"loop": "uvloop", "http": "httptools"}
    serving.run(main())                        # asyncio.run on uvloop's loop when there is one
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopName = Literal["auto", "asyncio", "uvloop"]


def loop_name() -> Literal["uvloop", "asyncio"]:
    """The event loop the gateway serves on: uvloop when it can be imported."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def http_name() -> Literal["httptools", "h11"]:
    """The HTTP/1.1 parser: httptools when it can be imported, else h11."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def uvicorn_options() -> dict[str, str]:
    """The ``loop`` and ``http`` options of `uvicorn.Config` and `uvicorn.run`."""
    return {"loop": loop_name(), "http": http_name()}


def loop_factory(loop: LoopName = "auto") -> Callable[[], asyncio.AbstractEventLoop] | None:
    """A new-loop factory for `asyncio.Runner` (None: asyncio's default)."""
    chosen = loop_name() if loop == "auto" else loop
    if chosen == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def run(main: Coroutine[Any, Any, T], *, loop: LoopName = "auto") -> T:
    """`asyncio.run(main)` on the serving loop (uvloop's when installed, unless `loop` says)."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)
