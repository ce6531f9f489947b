"""The load side of `bench.throughput`, in a process of its own: ``python -m bench.placing_load
SPEC``.

A minimal keep-alive HTTP/1.1 client, as `bench.load`, that keeps `concurrency` v2 ``add``
requests in flight, each with a link of its own (a panel may refuse a link it already has an
active order for). It imports nothing of the gateway.

The spec (JSON): ``port``, ``path``, ``fields`` (the form, without ``link``), ``link`` (a
template with ``{n}``), ``first`` (the first ``n``), ``count`` and ``concurrency``. Prints one
JSON line: ``rate`` (orders a second), ``orders`` (the ids answered) and ``errors`` (the first
few answers that were not an order, with their count in ``failed``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode


def request(path: str, fields: dict[str, str]) -> bytes:
    body = urlencode(fields).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Send `count` orders over `concurrency` connections; the rate and what came back."""
    numbers = iter(range(spec["first"], spec["first"] + spec["count"]))
    orders: list[int] = []
    errors: list[str] = []
    failed = 0

    async def connection() -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", spec["port"])
        try:
            for n in numbers:
                fields = {**spec["fields"], "link": spec["link"].format(n=n)}
                writer.write(request(spec["path"], fields))
                line = await reader.readline()
                length = 0
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                parsed = json.loads(answer) if b" 200 " in line else None
                if isinstance(parsed, dict) and isinstance(parsed.get("order"), int | str):
                    orders.append(int(parsed["order"]))
                else:
                    failed += 1
                    if len(errors) < 5:
                        errors.append(f"{line!r} {answer[:200]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(spec["concurrency"])))
    rate = len(orders) / (time.perf_counter() - started)
    return {"rate": rate, "orders": orders, "failed": failed, "errors": errors}


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(asyncio.run(drive(spec))))


if __name__ == "__main__":
    main()
