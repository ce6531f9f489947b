"""GraphQL catalog throughput beside a bare Starlette endpoint returning the same JSON.

    python -m bench.graphql [--panels 4] [--services 5000] [--requests 2000] [--rounds 5]

Four simulated panels of 5,000 services each make a merged catalog of 20,000 provider
services. The query asks for a page of 100 unified services with every scalar field. Both apps
are served by uvicorn on loopback in this process and driven from a separate process by the same
minimal keep-alive HTTP client (`bench.graphql_load`) with the same concurrency, round after
round alternately; the medians are compared:

- ``bare``: a Starlette endpoint that reads the body and returns the recorded JSON answer;
- ``graphql cached``: the same query again and again (the response cache answers);
- ``graphql uncached``: a different request each time (every request executes the query
  against the in-memory catalog snapshot; none rebuilds it);
- ``plain strawberry``: the same uncached requests to plain Strawberry (`bench.plain_strawberry`:
  its own ASGI app, default execution, no extensions) over the same snapshot's services: the
  baseline of the goal "5x faster than plain Strawberry".

Then one execution of the same query in process (no HTTP), the gateway's schema and the plain
one side by side: the executors' share of a request.

The key has the ``ops`` scope: the page asks for ``providerCount``, an operator field (a
``read`` key gets a FORBIDDEN error per service there).

Redis is used when ``SMMGW_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) answers,
else the in-process cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.catalog_gateway import (
    PAGE,
    QUERY,
    panels,
    providers_for,
    redis_url,
    served,
    settings_for,
)
from bench.plain_strawberry import per_execution, plain_app, plain_schema
from gateway.app import create_app
from gateway.config import Settings
from gateway.context import AppContext
from gateway.core import Gateway
from gateway.graphql import GraphQLOptions, build_schema
from gateway.graphql.catalog_view import CatalogViews
from gateway.graphql.context import Context
from gateway.graphql.pagination import encode_cursor


def bare_app(answer: bytes) -> Starlette:
    async def endpoint(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


Body = Callable[[int], dict[str, Any]]


async def throughput(
    url: str, body: Body, args: argparse.Namespace, headers: dict[str, str]
) -> float:
    """Drive `url` from a separate process, so client and servers do not share a CPU."""
    bodies = [json.dumps(body(n)) for n in range(args.requests)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"url": url, "bodies": bodies, "headers": headers}, spec)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.graphql_load", spec.name,
            "--concurrency", str(args.concurrency), stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await process.communicate()
    finally:
        os.unlink(spec.name)
    if process.returncode != 0:
        raise RuntimeError("the load driver failed")
    return float(out.decode().strip())


async def run(args: argparse.Namespace) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        sims = panels(stack, args.panels, args.services)
        redis = await redis_url()
        settings = settings_for(sims, f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", redis)
        gw = await Gateway.open(settings, providers=providers_for(sims, settings))
        try:
            await report(gw, settings, args, redis)
        finally:
            await gw.aclose()


async def report(
    gw: Gateway, settings: Settings, args: argparse.Namespace, redis: str | None
) -> None:
    started = time.perf_counter()
    await gw.catalog.sync()
    snapshot = await gw.catalog.snapshot()
    print(
        f"catalog: {len(snapshot.offers)} provider services from {args.panels} panels, "
        f"{len(snapshot.groups)} unified services; "
        f"sync and build {time.perf_counter() - started:.1f}s"
    )
    print(f"cache: {'redis' if redis else 'in-process'}; page of {PAGE}, all scalar fields")
    _, key = await gw.store.create_api_key("bench", "bench", ["ops"])
    app = create_app(settings, gateway=gw, background=False, settle_heap=True)
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=args.concurrency)
    async with (
        served(app) as graphql_url,
        httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client,
    ):
        fixed = {"query": QUERY, "variables": {"first": PAGE}}
        first = await client.post(graphql_url, json=fixed)
        answer = first.content
        if b'"errors"' in answer or first.status_code != 200:
            raise RuntimeError(answer[:500].decode())
        if args.execution_only:
            await in_process(app.state.context, settings, key, snapshot, args)
            return
        async with served(bare_app(answer)) as bare_url, served(plain_app(snapshot)) as plain_url:
            plain = (await client.post(plain_url, json=fixed)).content
            if json.loads(plain) != json.loads(answer):
                raise RuntimeError(f"plain Strawberry answers differently: {plain[:300]!r}")
            results: dict[str, list[float]] = {name: [] for name in NAMES}
            for round_ in range(args.rounds + 1):  # round 0 warms up connections and caches
                uncached = uncached_body(round_, len(snapshot.groups))
                for name, url, body in (
                    ("bare", bare_url, lambda n: fixed),
                    ("cached", graphql_url, lambda n: fixed),
                    ("uncached", graphql_url, uncached),
                    ("plain strawberry", plain_url, uncached),
                ):
                    rate = await throughput(url, body, args, headers)
                    if round_:
                        results[name].append(rate)
        print_rates(results)
        await in_process(app.state.context, settings, key, snapshot, args)


NAMES = ("bare", "cached", "uncached", "plain strawberry")


def print_rates(results: dict[str, list[float]]) -> None:
    """One line per target; the uncached line gives its ratio to plain Strawberry too."""
    bare = statistics.median(results["bare"])
    plain = statistics.median(results["plain strawberry"])
    for name in NAMES:
        rates = results[name]
        median = statistics.median(rates)
        versus = f"  ratio to plain strawberry {median / plain:5.2f}x" if name == "uncached" else ""
        print(
            f"{name:>9}: median {median:8.0f} req/s  ratio to bare {median / bare:5.2f}{versus}  "
            f"(rounds: {', '.join(f'{r:.0f}' for r in rates)})"
        )


async def in_process(
    app: AppContext, settings: Settings, key: str, snapshot: Any, args: argparse.Namespace
) -> None:
    """One execution of an uncached page (no HTTP), by each schema, medians side by side."""
    principal = await app.auth.authenticate(key)
    scope = {
        "type": "http", "method": "POST", "path": "/graphql", "client": ("127.0.0.1", 1),
        "headers": [(b"authorization", f"Bearer {key}".encode())], "app": None,
    }  # fmt: skip
    views = CatalogViews()
    gateway_schema = build_schema(GraphQLOptions.from_settings(settings))
    baseline = plain_schema(snapshot)
    body = uncached_body(args.rounds + 1, len(snapshot.groups))

    async def gateway_page(n: int) -> Any:
        context = Context(
            request=Request(scope), response=None, app=app, options=GraphQLOptions(),
            principal=principal, request_id="bench", views=views,
        )  # fmt: skip
        return check(await gateway_schema.execute(QUERY, body(n)["variables"], context))

    async def plain_page(n: int) -> Any:
        return check(await baseline.execute(QUERY, body(n)["variables"]))

    count = max(50, args.requests // 10)
    mine = await per_execution(gateway_page, count)
    theirs = await per_execution(plain_page, count)
    print(
        f"execution only (in process, CPU): gateway {mine:.2f} ms  "
        f"plain strawberry {theirs:.2f} ms  per page; ratio {theirs / mine:.2f}x"
    )


def check(result: Any) -> Any:
    if result.errors:
        raise RuntimeError(f"errors: {result.errors[:3]}")
    return result


def uncached_body(round_: int, services: int) -> Body:
    """Every request a different page, and a variable no other request had: always a miss.

    (GraphQL ignores variables the query does not declare; the response cache does not.)
    """

    def body(n: int) -> dict[str, Any]:
        after = encode_cursor("svc", (round_ * 7919 + n * 31) % max(services - PAGE, 1))
        return {"query": QUERY, "variables": {"first": PAGE, "after": after, "nonce": [round_, n]}}

    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--panels", type=int, default=4)
    parser.add_argument("--services", type=int, default=5000, help="services per panel")
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--execution-only", action="store_true", help="only the in-process execution figures"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
