"""The load side of the HTTP benchmarks, in a process of its own: ``python -m bench.load SPEC``.

A minimal keep-alive HTTP/1.1 client: a general-purpose client spends more per request than a
small endpoint does, and would measure itself instead of the servers. It imports nothing of the
gateway, so it starts fast and measures the same whatever the gateway's code.

The spec (JSON): ``port``, ``request`` (the raw request, latin-1), ``count``, ``concurrency``
and ``status`` (the status every answer must have). Prints requests per second.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def drive(port: int, request: bytes, count: int, concurrency: int, status: int) -> float:
    """Requests per second for `count` copies of `request` over `concurrency` connections."""
    left = iter(range(count))
    expected = f" {status} ".encode()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in left:
                writer.write(request)
                line = await reader.readline()
                length = 0
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                if expected not in line or b'"error' in answer[:300]:
                    raise RuntimeError(f"bad answer: {line!r} {answer[:300]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    request = spec["request"].encode("latin-1")
    rate = asyncio.run(
        drive(spec["port"], request, spec["count"], spec["concurrency"], spec["status"])
    )
    print(f"{rate:.1f}")


if __name__ == "__main__":
    main()
