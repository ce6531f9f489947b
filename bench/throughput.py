"""Placement throughput: v2 ``add`` orders, `--concurrency` in flight, through the gateway's
``/api/v2`` beside straight to the simulated panel behind it.

::

    python -m bench.throughput                 # SQLite, and PostgreSQL + Redis when they answer
    python -m bench.throughput --orders 400 --rounds 5 --only sqlite
    python -m bench.throughput --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Three processes, so that none shares another's event loop or CPU time slice: the panel
(``python -m providers.simulator``, `--latency` ms added to every call), the gateway as
``smm-gateway serve`` runs it (uvicorn with `gateway.serving`'s loop and parser, the access log,
in-process workers) on a configuration of its own, and the load (`bench.placing_load`, a
minimal keep-alive client); `bench.gateway_process` starts the first two. The gateway's ledger
is a fresh SQLite file (durable, as configured by default), or a fresh PostgreSQL database with
Redis under a namespace of its own. Per-key limits are lifted, and the panel's call limits (calls
a minute, calls in flight) set at or above the load, so that every answer is a real one.

Each round sends `--orders` orders straight to the panel, through the gateway with an operator
key, and through the gateway with a client account's key (funds held per order), in a turn that
rotates round by round; round 0 warms up; medians are compared. Every order the gateway
answered is then looked for in its ledger, with a provider's order id (and, for the account,
its client price): a figure counts only orders the ledger holds.

Prints, per database, one line a row (wrapped here) and the ledger check::

    throughput (sqlite)  gateway 20 orders/s  panel 900 orders/s  ratio 0.02x  goal >= 0.7x
        (CPU an order: gateway 26.0 ms, panel 0.9 ms)
    throughput (sqlite, account)  gateway 14 orders/s  panel 900 orders/s  ratio 0.02x  ...
    ledger (sqlite)  1801 orders answered, 1801 in the ledger with a provider order id

The CPU figures are the serving process's own (user and system time, every thread) over its
rows' orders; on a shared machine the rates follow the CPU each process is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.gateway_process import (
    chosen_service,
    gateway_config,
    prepare,
    start_gateway,
    start_panel,
)
from bench.processes import cpu_seconds
from gateway.store.tables import orders

GOAL = 0.7
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
ROWS = ("gateway", "account", "panel")


@dataclass(frozen=True)
class Target:
    """Where one row's orders go: a port, a path, the form without its link."""

    port: int
    path: str
    fields: dict[str, str]


async def drive(target: Target, first: int, count: int, concurrency: int) -> dict[str, Any]:
    spec = {"port": target.port, "path": target.path, "fields": target.fields,
            "link": f"https://instagram.com/p/{secrets.token_hex(4)}-{{n}}", "first": first,
            "count": count, "concurrency": concurrency}  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(spec, file)
        file.flush()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.placing_load", file.name, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError("the load driver failed")
    result: dict[str, Any] = json.loads(out)
    if result["failed"]:
        raise RuntimeError(f"{result['failed']} orders not placed: {result['errors']}")
    return result


async def in_ledger(database_url: str, ids: list[int], account: bool) -> int:
    """How many of `ids` the ledger holds with a provider's order id (and a client price)."""
    engine = create_async_engine(database_url)
    found = 0
    try:
        async with engine.connect() as conn:
            for start in range(0, len(ids), 500):
                query = select(func.count()).where(
                    orders.c.id.in_(ids[start : start + 500]),
                    orders.c.provider_order_id.is_not(None),
                )
                if account:
                    query = query.where(orders.c.client_price.is_not(None))
                found += int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()
    return found


async def measure(name: str, database_url: str, redis_url: str | None, args: Any) -> None:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        panel_port, panel_key, panel_pid = start_panel(stack, workdir, args.latency)
        operator, client = await prepare(database_url)
        config = workdir / "gateway.toml"
        gateway_config(config, database_url, redis_url, panel_port, args.set)
        port, pid = start_gateway(
            stack, workdir, config, panel_key, args.serve_with, args.serve_workers
        )
        service = await chosen_service(port, operator)
        form = {"action": "add", "service": str(service["service"]), "quantity": service["min"]}
        targets = {
            "gateway": Target(port, "/api/v2", {**form, "key": operator}),
            "account": Target(port, "/api/v2", {**form, "key": client}),
        }
        # Straight to the panel: the service the gateway placed its first order with.
        first = await drive(targets["gateway"], 0, 1, 1)
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            query = select(orders.c.provider_service_id).where(orders.c.id == first["orders"][0])
            panel_service = (await conn.execute(query)).scalar_one()
        await engine.dispose()
        panel_form = {**form, "service": str(panel_service), "key": panel_key}
        targets["panel"] = Target(panel_port, "/api/v2", panel_form)
        if args.pid_file:
            await asyncio.to_thread(Path(args.pid_file).write_text, str(pid))
        rates: dict[str, list[float]] = {row: [] for row in ROWS}
        # CPU an order of the process serving each row: the gateway's, or the panel's.
        cpu: dict[str, list[float]] = {row: [] for row in ROWS}
        serving = {"gateway": pid, "account": pid, "panel": panel_pid}
        answered: dict[str, list[int]] = {"gateway": first["orders"], "account": []}
        number = 1
        for round_ in range(args.rounds + 1):  # round 0 warms up
            turn = ROWS[round_ % 3 :] + ROWS[: round_ % 3]
            for row in turn:
                used = cpu_seconds(serving[row])
                result = await drive(targets[row], number, args.orders, args.concurrency)
                number += args.orders
                if row in answered:
                    answered[row] += result["orders"]
                if round_:
                    rates[row].append(result["rate"])
                    spent = cpu_seconds(serving[row]) - used
                    cpu[row].append(spent / len(result["orders"]))
        held = {
            row: await in_ledger(database_url, answered[row], row == "account") for row in answered
        }
    panel = statistics.median(rates["panel"])
    panel_cpu = statistics.median(cpu["panel"]) * 1000
    for row, label in (("gateway", name), ("account", f"{name}, account")):
        mine = statistics.median(rates[row])
        print(
            f"throughput ({label})  gateway {mine:.0f} orders/s  panel {panel:.0f} orders/s  "
            f"ratio {mine / panel:.2f}x  goal >= {GOAL}x  "
            f"(CPU an order: gateway {statistics.median(cpu[row]) * 1000:.1f} ms, "
            f"panel {panel_cpu:.1f} ms)",
            flush=True,
        )
    total = sum(len(ids) for ids in answered.values())
    print(f"ledger ({name})  {total} orders answered, {sum(held.values())} in the ledger with a "
          "provider order id", flush=True)  # fmt: skip
    if sum(held.values()) != total:
        raise SystemExit(f"ledger ({name}): orders answered but missing from the ledger")


async def fresh_postgres(url: str) -> str | None:
    """A new database beside the one `url` names (its URL), or None if PostgreSQL is not there."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    name = f"bench_throughput_{secrets.token_hex(4)}"
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception:  # any failure means: no PostgreSQL to measure
        return None
    finally:
        await engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


async def drop_postgres(admin_url: str, url: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(
                text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
            )
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    only = set(args.only.split(","))
    print(f"{args.orders} orders a round, {args.concurrency} in flight, {args.rounds} rounds, "
          f"panel latency {args.latency:g} ms", flush=True)  # fmt: skip
    if "sqlite" in only:
        with tempfile.TemporaryDirectory() as tmp:
            await measure("sqlite", f"sqlite+aiosqlite:///{tmp}/ledger.db", None, args)
    if "postgresql" in only:
        database = await fresh_postgres(args.database_url)
        if database is None:
            print(f"throughput (postgresql)  skipped: no PostgreSQL at {args.database_url}")
            return
        try:
            await measure("postgresql", database, args.redis_url, args)
        finally:
            await drop_postgres(args.database_url, database)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--orders", type=int, default=300, help="orders a row a round (300)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50, help="orders in flight (50)")
    parser.add_argument("--latency", type=float, default=20.0, help="panel latency, ms (20)")
    parser.add_argument("--only", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES, help="PostgreSQL to use")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="Redis beside PostgreSQL")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.NAME=VALUE",
        help="a setting of the gateway's configuration (e.g. workers.in_process=false)",
    )
    parser.add_argument(
        "--serve-with",
        metavar="SCRIPT",
        help="a Python script run instead of smm-gateway (same arguments), for experiments",
    )
    parser.add_argument("--pid-file", help="write the gateway's pid here (for a profiler)")
    parser.add_argument(
        "--serve-workers", type=int, default=1, help="serving processes (serve --workers; 1)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
