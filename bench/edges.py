"""Cached bytes at the edges beside a bare Starlette route serving the same bytes.

    python -m bench.edges [--requests 2000] [--rounds 5] [--concurrency 16] [--big 5000]
    python -m bench.edges --loop asyncio --http h11    # the serving stack without uvloop/httptools
    python -m bench.edges --only "v2 services (account)"   # one row (e.g. under a profiler)

Rows, each measured side by side with a bare Starlette route (a handler that reads the body and
returns the recorded answer) in one run, round after round alternately, medians compared:

- ``graphql cached``: the demo's catalog (three simulated panels), a GraphQL page of 100
  services with every scalar field, the same request again and again (a response-cache hit,
  in-process cache);
- ``v2 services``: ``/api/v2 action=services`` for the demo's admin key (its 44 KB answer);
- ``v2 services (account)``: the same for a client account's key (its own rates);
- ``v2 services (big)``: four panels of `--big` services each (20,000 provider services);
- ``v2 services 304``: the first row's request with ``If-None-Match`` (for information: the
  bare route always answers the whole body).

Both the gateway and the bare apps are served by uvicorn on loopback in this process, with the
event loop and HTTP parser the gateway serves with (`gateway.serving`) unless `--loop` and
`--http` say otherwise; the load comes from a separate process (`bench.load`, a minimal
keep-alive HTTP/1.1 client with `--concurrency` connections), so that client and servers do not
share a CPU. Per-key limits are lifted so that every answer is a real one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.catalog_gateway import PAGE, QUERY, panels, providers_for, settings_for
from gateway import serving
from gateway.accounts.pricing import PriceList
from gateway.app import create_app
from gateway.config import LimitsSection, Settings
from gateway.core import Gateway
from gateway.demo import demo_providers, demo_settings, running_panels
from providers.simulator import SimulatorServer

GOAL = 0.8
JSON = "application/json"


@dataclass(frozen=True)
class Edge:
    """One row: raw HTTP requests to the gateway, and the answer the bare route repeats."""

    name: str
    path: str
    request: bytes
    answer: bytes
    status: int = 200


def http_request(path: str, body: bytes, content_type: str, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def measure(port: int, edge: Edge, args: argparse.Namespace, bare: bool) -> float:
    """Drive one edge (or its bare twin) from a separate process."""
    request = edge.request
    if bare:  # the same request to the bare route of this edge
        request = request.replace(
            f"POST {edge.path} ".encode(), f"POST {bare_path(edge)} ".encode(), 1
        )
    spec = {
        "port": port,
        "request": request.decode("latin-1"),
        "count": args.requests,
        "concurrency": args.concurrency,
        "status": 200 if bare else edge.status,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(spec, file)
        file.flush()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.load", file.name, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load driver failed on {edge.name}")
    return float(out.decode().strip())


@contextlib.asynccontextmanager
async def served(app: Starlette, args: argparse.Namespace) -> AsyncIterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    options = serving.uvicorn_options()
    if args.http != "auto":
        options["http"] = args.http
    config = uvicorn.Config(app, log_level="warning", access_log=False, **options)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        await task
        sock.close()


def bare_path(edge: Edge) -> str:
    return "/bare/" + edge.name.replace(" ", "-").replace("(", "").replace(")", "")


def bare_app(edges: list[Edge]) -> Starlette:
    """One route per edge, answering its recorded bytes (the gateway's media type)."""

    def route(edge: Edge) -> Route:
        async def endpoint(request: Request) -> Response:
            await request.body()
            return Response(edge.answer, media_type="application/json")

        return Route(bare_path(edge), endpoint, methods=["POST"])

    return Starlette(routes=[route(edge) for edge in edges])


LIFTED = "1000000/second"
"""A per-key limit no run comes near, so that every answer is a real one. Each hit still counts
in its moving window (one entry per thousandth of the window, whatever the rate), so the
limiter's work per request is measured as it is in production."""


def lifted(settings: Settings, limit: str = LIFTED) -> Settings:
    # The benchmark measures serving, not the per-key limit it would otherwise hit.
    return settings.model_copy(update={"limits": LimitsSection(per_key=limit, anonymous=limit)})


async def record(port: int, edge: Edge) -> Edge:
    """`edge` with the answer the gateway gives it (checked to be a real one)."""
    async with httpx.AsyncClient(timeout=60) as http:
        head, _, body = edge.request.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        path = lines[0].split(" ")[1]
        headers = dict(line.split(": ", 1) for line in lines[1:])
        answer = await http.post(f"http://127.0.0.1:{port}{path}", content=body, headers=headers)
    if answer.status_code != edge.status or answer.content[:9] in (b'{"error":', b'{"errors"'):
        raise RuntimeError(f"{edge.name}: {answer.status_code} {answer.content[:300]!r}")
    return Edge(edge.name, edge.path, edge.request, answer.content, edge.status)


def v2_request(key: str, headers: dict[str, str] | None = None) -> bytes:
    form = urlencode({"key": key, "action": "services"}).encode()
    return http_request("/api/v2", form, "application/x-www-form-urlencoded", headers or {})


async def demo_edges(gw: Gateway, port: int) -> list[Edge]:
    _, admin = await gw.store.create_api_key("bench admin", "bench", ["admin"])
    account = await gw.store.create_account(
        "bench-shop", currency=gw.base_currency,
        price_list=PriceList(markup_percent=Decimal(20)).model_dump(mode="json"),
    )  # fmt: skip
    _, shop = await gw.store.create_api_key("bench shop", "shop", ["order"], account_id=account.id)
    page = json.dumps({"query": QUERY, "variables": {"first": PAGE}}).encode()
    auth = {"Authorization": f"Bearer {admin}"}
    edges = [
        Edge("graphql cached", "/graphql", http_request("/graphql", page, JSON, auth), b""),
        Edge("v2 services", "/api/v2", v2_request(admin), b""),
        Edge("v2 services (account)", "/api/v2", v2_request(shop), b""),
    ]  # fmt: skip
    return [await record(port, edge) for edge in edges]


async def etag_edge(port: int, edge: Edge) -> Edge | None:
    async with httpx.AsyncClient(timeout=60) as http:
        answer = await http.post(
            f"http://127.0.0.1:{port}/api/v2",
            content=edge.request.partition(b"\r\n\r\n")[2],
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    etag = answer.headers.get("etag")
    if etag is None:
        return None
    body = edge.request.partition(b"\r\n\r\n")[2]
    request = http_request(
        "/api/v2", body, "application/x-www-form-urlencoded", {"If-None-Match": etag}
    )
    return Edge("v2 services 304", "/api/v2", request, edge.answer, 304)


@contextlib.contextmanager
def big_panels(stack: ExitStack, services: int) -> Iterator[dict[str, SimulatorServer]]:
    yield panels(stack, 4, services)


async def run(args: argparse.Namespace) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        demo_dir = Path(tmp) / "demo"
        demo_dir.mkdir()
        demo = stack.enter_context(running_panels(data_dir=demo_dir))
        settings = lifted(demo_settings(demo, demo_dir, None, loopback=True), args.limit)
        gw = await Gateway.open(settings, providers=demo_providers(demo, settings))
        big_sims = stack.enter_context(big_panels(stack, args.big))
        big_database = f"sqlite+aiosqlite:///{tmp}/big.db"
        big_settings = lifted(settings_for(big_sims, big_database, None), args.limit)
        big = await Gateway.open(big_settings, providers=providers_for(big_sims, big_settings))
        try:
            await gw.catalog.sync()
            await big.catalog.sync()
            await report(gw, settings, big, big_settings, args)
        finally:
            await big.aclose()
            await gw.aclose()


async def report(
    gw: Gateway, settings: Settings, big: Gateway, big_settings: Settings, args: argparse.Namespace
) -> None:
    demo_groups = len((await gw.catalog.snapshot()).groups)
    big_snapshot = await big.catalog.snapshot()
    app = create_app(settings, gateway=gw, background=False, settle_heap=True)
    big_app = create_app(big_settings, gateway=big, background=False, settle_heap=True)
    async with served(app, args) as port, served(big_app, args) as big_port:
        edges = [(port, edge) for edge in await demo_edges(gw, port)]
        _, big_key = await big.store.create_api_key("bench admin", "bench", ["admin"])
        big_edge = Edge("v2 services (big)", "/api/v2", v2_request(big_key), b"")
        edges.append((big_port, await record(big_port, big_edge)))
        not_modified = await etag_edge(port, edges[1][1])
        if not_modified is not None:
            edges.append((port, not_modified))
        if args.only:
            edges = [(p, e) for p, e in edges if e.name in args.only]
        print(
            f"demo catalog: {demo_groups} unified services; big catalog: "
            f"{len(big_snapshot.offers)} provider services, {len(big_snapshot.groups)} unified; "
            f"stack: {stack_name(args)}; per-key limit {args.limit}; "
            f"{args.requests} requests x {args.concurrency} "
            f"connections a round, {args.rounds} rounds"
        )
        async with served(bare_app([e for _, e in edges]), args) as bare_port:
            rates: dict[str, tuple[list[float], list[float]]] = {e.name: ([], []) for _, e in edges}
            for round_ in range(args.rounds + 1):  # round 0 warms up
                for edge_port, edge in edges:
                    mine = await measure(edge_port, edge, args, bare=False)
                    bare = await measure(bare_port, edge, args, bare=True)
                    if round_:
                        rates[edge.name][0].append(mine)
                        rates[edge.name][1].append(bare)
    for _, edge in edges:
        mine, bare = (statistics.median(r) for r in rates[edge.name])
        goal = f">= {GOAL}x" if edge.status == 200 else "(info)"
        print(
            f"{edge.name:<24} {len(edge.answer):>8,} B   {mine:8,.0f} req/s   bare {bare:8,.0f} "
            f"req/s   ratio {mine / bare:5.2f}x   goal {goal}"
        )


def stack_name(args: argparse.Namespace) -> str:
    options = serving.uvicorn_options()
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    return f"loop {loop}, http {args.http if args.http != 'auto' else options['http']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--big", type=int, default=5000, help="services per big panel (x4)")
    parser.add_argument("--limit", default=LIFTED, help=f"per-key limit (default {LIFTED})")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    parser.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    parser.add_argument(
        "--only", action="append", metavar="ROW", help="measure only this row (repeatable)"
    )
    args = parser.parse_args()
    serving.run(run(args), loop=args.loop)


if __name__ == "__main__":
    main()
