"""One gateway process of the multi-process idempotency test.

    python -m tests.gateway.idempotency_process SPEC.json

It opens the gateway from SPEC's settings (provider keys from the environment, as in
production), prints ``ready``, waits for a line on stdin so that every process starts placing
at once, places one order per idempotency key of SPEC, all concurrently, and prints
``{"key": order id or the error's class name}`` as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from gateway.config import Settings
from gateway.core import Gateway


async def place_all(spec: dict[str, Any]) -> dict[str, int | str]:
    settings = Settings.model_validate(spec["settings"])
    async with await Gateway.open(settings) as gw:
        await gw.catalog.snapshot()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)

        async def one(key: str, fields: dict[str, Any]) -> int | str:
            try:
                row = await gw.place(spec["client"], spec["service"], fields, idempotency_key=key)
            except Exception as exc:
                return type(exc).__name__
            return row.id

        keys: dict[str, dict[str, Any]] = spec["keys"]
        found = await asyncio.gather(*(one(k, f) for k, f in keys.items()))
        return dict(zip(keys, found, strict=True))


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    print(json.dumps(asyncio.run(place_all(spec))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
