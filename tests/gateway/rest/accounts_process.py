"""One gateway process of the multi-process account tests: the real app, served by uvicorn on a
loopback port, on the database of SPEC's settings (provider keys from the environment, as in
production).

    python -m tests.gateway.rest.accounts_process SPEC.json

Prints the base URL (``http://127.0.0.1:PORT``) once it serves, and stops when a line (or the
end of input) arrives on stdin.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import uvicorn

from gateway.app import create_app
from gateway.config import Settings


async def serve(settings: Settings) -> None:
    # No background jobs: no status sync settles an order (and frees its hold) mid-test.
    app = create_app(settings, background=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    server.should_exit = True
    await task


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    asyncio.run(serve(Settings.model_validate(spec["settings"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
