"""One process of the fleet-limits test: the gateway's providers as ``serve`` and ``worker``
build them (`Gateway.open`), calling one panel as hard as they are let.

    python -m tests.gateway.fleet_limits_process SPEC.json

Prints ``ready``, waits for a line on stdin (so every process starts at once), then makes
SPEC's ``reads`` (balance, or status for a worker) and ``adds`` calls all concurrently, and
prints ``{"reads": [outcomes], "adds": [outcomes]}``: ``"ok"`` or the error's class name.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from gateway.config import Settings
from gateway.core import Gateway
from providers.models import OrderRequest


async def outcome(call: Awaitable[Any]) -> str:
    try:
        answer = await call
    except Exception as exc:
        return type(exc).__name__
    if isinstance(answer, dict):  # a batch: one id, its own outcome
        [item] = answer.values()
        return "ok" if not isinstance(item, Exception) else type(item).__name__
    return "ok"


async def run(spec: dict[str, Any]) -> dict[str, list[str]]:
    settings = Settings.model_validate(spec["settings"])
    async with await Gateway.open(settings) as gw:
        panel = gw.providers[spec["provider"]]
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        reads: list[Awaitable[Any]] = (
            [panel.status([pid]) for pid in spec["order_ids"][: spec["reads"]]]
            if spec["role"] == "worker"
            else [panel.balance() for _ in range(spec["reads"])]
        )
        adds = [
            panel.add(OrderRequest(service=spec["service"], link=f"https://x.com/p/{n}",
                                   quantity=spec["quantity"]))
            for n in range(spec["adds"])
        ]  # fmt: skip
        done = await asyncio.gather(*(outcome(c) for c in [*reads, *adds]))
        return {"reads": done[: len(reads)], "adds": done[len(reads) :]}


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    print(json.dumps(asyncio.run(run(spec))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
