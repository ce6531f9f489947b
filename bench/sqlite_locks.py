"""``smm-gateway`` with every SQLite write transaction timed: how long it waited for the write
lock and how long it held it, by the gateway function that opened it.

::

    python -m bench.throughput --only sqlite --serve-with bench.sqlite_locks

Run as the gateway's command (``python -m bench.sqlite_locks`` with the arguments of
``smm-gateway``); every 5 seconds it writes a table to ``$SMMGW_LOCK_TIMES`` (default
``sqlite-locks.txt`` in the working directory), one line per opener, the longest total hold
first. The wait counts from asking for a connection to the
end of ``BEGIN IMMEDIATE`` (pool and busy handler); the hold from there to the commit's end.
A measuring tool: it wraps `AsyncEngine.begin`, so it is never imported by the gateway.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.store import engine as engines
from gateway.store import store as stores


@dataclass
class Times:
    count: int = 0
    wait: float = 0.0
    hold: float = 0.0
    longest: float = 0.0


TIMES: defaultdict[str, Times] = defaultdict(Times)
_began: dict[int, float] = {}
_begin = AsyncEngine.begin
_create = engines.create_engine


def _opener() -> str:
    """The innermost gateway function outside the store on the stack."""
    for frame in reversed(traceback.extract_stack(limit=16)[:-3]):
        if "/gateway/" in frame.filename and "/store/" not in frame.filename:
            return f"{frame.filename.split('/gateway/')[1]}:{frame.name}"
    return "?"


def _create_engine(*args: Any, **kwargs: Any) -> AsyncEngine:
    created = _create(*args, **kwargs)
    if created.dialect.name == "sqlite":

        @event.listens_for(created.sync_engine, "begin")
        def _locked(connection: Any) -> None:  # after the gateway's own BEGIN IMMEDIATE
            _began[id(connection.connection.dbapi_connection)] = time.perf_counter()

    return created


@asynccontextmanager
async def _timed_begin(self: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    if self.dialect.name != "sqlite":
        async with _begin(self) as connection:
            yield connection
        return
    asked, opener = time.perf_counter(), _opener()
    async with _begin(self) as connection:
        raw = await connection.get_raw_connection()
        locked = _began.get(id(raw.dbapi_connection), asked)
        yield connection
    held = time.perf_counter() - locked
    times = TIMES[opener]
    times.count += 1
    times.wait += locked - asked
    times.hold += held
    times.longest = max(times.longest, held)


def report() -> str:
    lines = []
    for opener, t in sorted(TIMES.items(), key=lambda item: -item[1].hold):
        lines.append(
            f"{opener:<56} n={t.count:<6} wait {t.wait / t.count * 1000:7.1f} ms  "
            f"hold {t.hold / t.count * 1000:6.1f} ms  longest {t.longest * 1000:6.1f} ms  "
            f"total hold {t.hold:6.1f} s"
        )
    return "\n".join(lines) + "\n"


def _write_every(path: Path, seconds: float) -> None:
    while True:
        time.sleep(seconds)
        path.write_text(report())


def main() -> None:
    engines.create_engine = _create_engine
    stores.create_engine = _create_engine  # type: ignore[attr-defined]
    AsyncEngine.begin = _timed_begin  # type: ignore[method-assign]
    path = Path(os.environ.get("SMMGW_LOCK_TIMES", "sqlite-locks.txt"))
    threading.Thread(target=_write_every, args=(path, 5.0), daemon=True).start()
    from gateway.cli import entry_point

    entry_point()


if __name__ == "__main__":
    main()
