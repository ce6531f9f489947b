"""A worker process for the multi-process tests, as ``smm-gateway worker`` would run it.

    python -m tests.gateway.workers.worker_process SPEC.json

SPEC holds the settings (provider keys come from the environment, as in production) and the
short lease, heartbeat and sweep the tests use so that recovery takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

from gateway.config import Settings
from gateway.core import Gateway
from gateway.workers import WorkerOptions
from gateway.workers.queue import run_worker


async def serve(spec: dict[str, object]) -> None:
    settings = Settings.model_validate(spec["settings"])
    options = WorkerOptions(
        status_every=0.2,
        outbox_every=0.2,
        lease=timedelta(seconds=float(str(spec["lease"]))),
        catalog_every=3600,
        balance_every=3600,
        refill_every=3600,
    )
    async with await Gateway.open(settings) as gw:
        await run_worker(
            gw, options, heartbeat=int(str(spec["heartbeat"])), sweep=1, grace=5, abort_wait=0.2
        )


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(json.loads(Path(argv[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
