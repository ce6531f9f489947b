"""The load side of `bench.graphql`, in a process of its own (so client and servers do not share
a CPU): ``python -m bench.graphql_load SPEC --concurrency N``.

The spec (JSON): ``url``, ``bodies`` (the JSON request bodies, one request each) and
``headers``. Prints requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx


async def drive(url: str, bodies: list[bytes], concurrency: int, headers: dict[str, str]) -> float:
    """Requests per second for POSTing `bodies`, `concurrency` keep-alive connections at once.

    A bare asyncio HTTP/1.1 client: a general-purpose client spends more per request than a
    small endpoint does, and would measure itself instead of the servers.
    """
    parts = httpx.URL(url)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [
        (
            f"POST {parts.raw_path.decode()} HTTP/1.1\r\nHost: {parts.host}\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]
    queue = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.host, parts.port)
        try:
            for request in queue:
                writer.write(request)
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                if b" 200 " not in status or b'"errors"' in answer:
                    raise RuntimeError(f"bad answer: {status!r} {answer[:300]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return len(requests) / (time.perf_counter() - started)


def driver(spec_path: str, concurrency: int) -> None:
    """Drive the spec at `spec_path` and print requests per second."""
    spec = json.loads(Path(spec_path).read_text())
    bodies = [b.encode() for b in spec["bodies"]]
    rate = asyncio.run(drive(spec["url"], bodies, concurrency, spec["headers"]))
    print(f"{rate:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.graphql_load")
    parser.add_argument("spec", help="the spec file (JSON)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    driver(args.spec, args.concurrency)


if __name__ == "__main__":
    main()
