"""A gateway process that claims an idempotency key as a request would, then hangs before its
order (for the dead-claimant test to SIGKILL).

    python -m tests.gateway.claimant_process SPEC.json

It heartbeats as ``serve`` does (`[workers]` heartbeat), claims SPEC's key for SPEC's client
under its own fleet id, prints ``claimed`` and waits until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from gateway.config import Settings
from gateway.core import Gateway
from gateway.fleet import instance_id
from gateway.workers.inprocess import heartbeat_for


async def claim(spec: dict[str, Any]) -> None:
    settings = Settings.model_validate(spec["settings"])
    async with await Gateway.open(settings) as gw, heartbeat_for(gw, "gateway"):
        claimed = await gw.store.claim_idempotency_key(
            spec["client"], spec["key"], spec["fingerprint"], instance=instance_id()
        )
        assert claimed.owner
        print("claimed", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str]) -> int:
    asyncio.run(claim(json.loads(Path(argv[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
