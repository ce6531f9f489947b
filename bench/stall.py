"""Does heavy GraphQL work stall light requests? /api/v2 status latency, idle and loaded.

    python -m bench.stall [--panels 3] [--services 2000] [--requests 400] [--heavy 16]
    python -m bench.stall --unprotected      # no yielding, no cap on heavy operations

The gateway serves three simulated panels on loopback, in this process. One key (`ops`) sends
the worst query the cost limit accepts, `--heavy` at a time, continuously, each request with new
aliases so the response cache never answers: thirteen full pages (``first: 500``) of services
with every scalar field, cost 19,513 of the 20,000 allowed. (Scalars cost nothing, so this shape
does the most work for its cost; pages of services with their offers are dearer, as a service
is costed with as many offers as the largest one has.) Its cost budget is lifted, so that the
execution itself, not the budget, is measured. Another key sends ``/api/v2 action=status`` for
one of its orders, one request after another, from its own process; its p50 and p99 are printed
idle and while the heavy load runs, with the ratio of the loaded p99 to the idle p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.catalog_gateway import panels, providers_for, redis_url, served, settings_for
from gateway.app import create_app
from gateway.config import ApiSection, Settings
from gateway.core import Gateway
from gateway.graphql import yielding

SERVICE = (
    "id name platform metric type refill refillKind refillDays cancel dripFeed min max geo "
    "providerCount rate { amount currency }"
)


PAGES = 13


def worst_query(n: int) -> str:
    """The heaviest operation the default cost limit accepts, with aliases no other had."""
    page = f"services(first: 500) {{ totalCount edges {{ cursor node {{ {SERVICE} }} }} }}"
    return "{ " + " ".join(f"p{n}_{i}: {page}" for i in range(PAGES)) + " }"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[bytes, bytes]:
    writer.write(request)
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _request(url: httpx.URL, body: bytes, content_type: str, extra: str = "") -> bytes:
    head = (
        f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}\r\n{extra}"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def light(spec: dict[str, Any]) -> list[float]:
    """Milliseconds of each status request, one after another on one keep-alive connection."""
    url = httpx.URL(spec["url"])
    form = f"key={spec['key']}&action=status&order={spec['order']}".encode()
    request = _request(url, form, "application/x-www-form-urlencoded")
    reader, writer = await asyncio.open_connection(url.host, url.port)
    timings = []
    try:
        for _ in range(spec["requests"]):
            started = time.perf_counter()
            status, answer = await _post(reader, writer, request)
            timings.append((time.perf_counter() - started) * 1000)
            if b" 200 " not in status or b'"error"' in answer:
                raise RuntimeError(f"bad status answer: {status!r} {answer[:300]!r}")
    finally:
        writer.close()
    return timings


async def heavy(spec: dict[str, Any]) -> None:
    """The worst query, `concurrency` at a time, until stdin closes; prints how many ran."""
    url = httpx.URL(spec["url"])
    auth = f"Authorization: Bearer {spec['key']}\r\n"
    done = 0
    stop = asyncio.Event()
    counter = iter(range(10**9))

    async def connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(url.host, url.port)
        try:
            while not stop.is_set():
                n = next(counter)
                body = {"query": worst_query(n)}
                request = _request(url, json.dumps(body).encode(), "application/json", auth)
                status, answer = await _post(reader, writer, request)
                if b" 200 " not in status or b'"errors"' in answer:
                    raise RuntimeError(f"bad heavy answer: {status!r} {answer[:300]!r}")
                done += 1
                if done == 1:
                    print("running", flush=True)
        finally:
            writer.close()

    async def until_stdin_closes() -> None:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        stop.set()

    started = time.perf_counter()
    waiter = asyncio.create_task(until_stdin_closes())
    await asyncio.gather(*(connection() for _ in range(spec["concurrency"])))
    await waiter
    print(f"{done} {time.perf_counter() - started:.3f}", flush=True)


async def _spawn(role: str, spec: dict[str, Any]) -> asyncio.subprocess.Process:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(spec, file)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.stall", f"--{role}-spec", file.name,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def measure_light(spec: dict[str, Any]) -> list[float]:
    process = await _spawn("light", spec)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError("the status client failed")
    timings: list[float] = json.loads(out)
    return timings


def describe(name: str, timings: list[float]) -> str:
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    return f"{name:>7}: p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {max(timings):7.1f} ms"


async def report(gw: Gateway, settings: Settings, args: argparse.Namespace) -> None:
    await gw.catalog.sync()
    snapshot = await gw.catalog.snapshot()
    _, ops = await gw.store.create_api_key("heavy", "dashboard", ["ops"])
    _, client = await gw.store.create_api_key("light", "client", ["order"])
    group = next(g for g in sorted(snapshot.groups.values(), key=lambda g: g.id) if g.min <= 100)
    app = create_app(settings, gateway=gw, background=False)
    async with served(app) as graphql_url:
        base = graphql_url.removesuffix("/graphql")
        async with httpx.AsyncClient(timeout=60) as http:
            added = await http.post(f"{base}/api/v2", data={
                "key": client, "action": "add", "service": group.id,
                "link": "https://instagram.com/p/bench", "quantity": max(group.min, 100),
            })  # fmt: skip
            order = added.json()["order"]
        print(
            f"catalog: {len(snapshot.groups)} unified services from {args.panels} panels; "
            f"heavy: {args.heavy} at a time of the worst accepted query; "
            f"{'UNPROTECTED (no yielding, no cap)' if args.unprotected else 'protected'}"
        )
        light_spec = {"url": f"{base}/api/v2", "key": client, "order": order,
                      "requests": args.requests}  # fmt: skip
        await measure_light({**light_spec, "requests": 50})  # warm up
        idle = await measure_light(light_spec)
        heavy_spec = {"url": graphql_url, "key": ops, "concurrency": args.heavy}
        process = await _spawn("heavy", heavy_spec)
        assert process.stdout is not None
        assert process.stdin is not None
        if (await process.stdout.readline()).strip() != b"running":
            raise RuntimeError("the heavy client failed")
        loaded = await measure_light(light_spec)
        process.stdin.close()
        out, _ = await process.communicate()
        ran, seconds = out.decode().split()
    print(describe("idle", idle))
    print(describe("loaded", loaded))
    ratio = percentile(loaded, 0.99) / percentile(idle, 0.99)
    print(
        f"loaded p99 / idle p99: {ratio:.2f}x   "
        f"(heavy queries answered meanwhile: {ran} in {float(seconds):.1f} s)"
    )


async def run(args: argparse.Namespace) -> None:
    if args.unprotected:
        yielding.SLICE = math.inf
    api = ApiSection(
        graphql_cost_budget="1000000000/minute",
        graphql_heavy_concurrency=1000 if args.unprotected else args.places,
    )
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        sims = panels(stack, args.panels, args.services)
        base = settings_for(
            sims, f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", await redis_url()
        )
        settings = base.model_copy(update={"api": api})
        gw = await Gateway.open(settings, providers=providers_for(sims, settings))
        try:
            await report(gw, settings, args)
        finally:
            await gw.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--panels", type=int, default=3)
    parser.add_argument("--services", type=int, default=2000, help="services per panel")
    parser.add_argument("--requests", type=int, default=400, help="status requests per phase")
    parser.add_argument("--heavy", type=int, default=16, help="heavy queries at a time")
    parser.add_argument("--unprotected", action="store_true")
    parser.add_argument(
        "--places", type=int, default=ApiSection().graphql_heavy_concurrency,
        help="heavy operations at a time per process ([api] graphql_heavy_concurrency)",
    )  # fmt: skip
    parser.add_argument("--light-spec", help=argparse.SUPPRESS)
    parser.add_argument("--heavy-spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.light_spec:
        timings = asyncio.run(light(json.loads(Path(args.light_spec).read_text())))
        print(json.dumps(timings))
    elif args.heavy_spec:
        asyncio.run(heavy(json.loads(Path(args.heavy_spec).read_text())))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
