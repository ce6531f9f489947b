"""Every row of the "fast at every edge" table that has a benchmark, in one run, each ratio
printed next to its goal.

::

    python -m bench                      # SQLite, and PostgreSQL when it answers
    python -m bench --quick              # smaller runs, for a look in a few minutes
    python -m bench --only edges,sync
    python -m bench --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Each benchmark runs in a process of its own (`bench.edges`, `bench.graphql`, `bench.core`,
`bench.sync`, `bench.throughput`) and prints its own report as it goes; the table at the end
gathers the figures. All figures are medians of side-by-side runs.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Row:
    path: str
    goal: str
    figure: str


Parse = Callable[[str], list[Row]]


def _ratio_rows(text: str) -> list[Row]:
    rows = []
    for name, path in (
        ("graphql cached", "GraphQL page of 100, cache hit vs bare Starlette (demo)"),
        ("v2 services", "/api/v2 services (demo, 252) vs bare Starlette"),
        ("v2 services (account)", "/api/v2 services, a client account's key, vs bare"),
        ("v2 services (big)", "/api/v2 services (20,000 provider services) vs bare"),
    ):
        found = re.search(
            rf"^{re.escape(name)}\s+[\d,]+ B\s+([\d,]+) req/s\s+bare\s+([\d,]+) req/s\s+ratio\s+"
            r"([\d.]+)x",
            text,
            re.MULTILINE,
        )
        if found:
            mine, bare, ratio = found.groups()
            rows.append(Row(path, ">= 0.8x", f"{ratio}x ({mine} vs {bare} req/s)"))
    found = re.search(r"^v2 services 304\s.*?([\d,]+) req/s", text, re.MULTILINE)
    if found:
        rows.append(Row("/api/v2 services with If-None-Match: 304", "(info)", f"{found[1]} req/s"))
    return rows


def _graphql_rows(text: str) -> list[Row]:
    rows = []
    found = re.search(
        r"uncached: median\s+(\d+) req/s\s+ratio to bare\s+([\d.]+)\s+"
        r"ratio to plain strawberry\s+([\d.]+)x",
        text,
    )
    plain = re.search(r"plain strawberry: median\s+(\d+) req/s", text)
    if found:
        versus = f" vs {plain[1]}" if plain else ""
        figure = f"{found[3]}x ({found[1]}{versus} req/s)"
        rows.append(Row("GraphQL page of 100, uncached, vs plain Strawberry", ">= 5x", figure))
    executed = re.search(
        r"execution only .*?gateway ([\d.]+) ms\s+plain strawberry ([\d.]+) ms.*?ratio ([\d.]+)x",
        text,
    )
    if executed:
        figure = f"{executed[3]}x ({executed[1]} vs {executed[2]} ms a page)"
        rows.append(
            Row("GraphQL page of 100, execution only, vs plain Strawberry", "(info)", figure)
        )
    return rows


def _core_rows(text: str) -> list[Row]:
    return [
        Row(
            f"placement overhead through the core ({name.strip()})",
            "<= 2 ms",
            f"{overhead} ms ({core} vs {direct} ms)",
        )
        for name, core, direct, overhead in re.findall(
            r"place order through the core \((\w+\s*)\)\s+median ([\d.]+) ms\s+direct adapter add "
            r"([\d.]+) ms.*?overhead ([\d.-]+) ms",
            text,
        )
    ]


def _sync_rows(database: str) -> Parse:
    def parse(text: str) -> list[Row]:
        found = re.search(r"wall / floor\s+([\d.]+)x", text)
        wall = re.search(r"wall time\s+([\d.]+) s", text)
        if not found or not wall:
            return []
        figure = f"{found[1]}x ({wall[1]} s)"
        orders = re.search(r"orders (\d+) over", text)
        count = f"{int(orders[1]):,}" if orders else "?"
        return [Row(f"status sync, {count} orders over 5 panels ({database})", "<= 2x", figure)]

    return parse


def _throughput_rows(text: str) -> list[Row]:
    rows = []
    for database, account, mine, panel, ratio in re.findall(
        r"^throughput \((\w+)(, account)?\)\s+gateway (\d+) orders/s\s+panel (\d+) orders/s\s+"
        r"ratio ([\d.]+)x",
        text,
        re.MULTILINE,
    ):
        who = ", a client account" if account else ""
        rows.append(
            Row(
                f"placement throughput, 50 in flight, /api/v2 vs the panel ({database}{who})",
                ">= 0.7x",
                f"{ratio}x ({mine} vs {panel} orders/s)",
            )
        )
    return rows


def _run(title: str, command: list[str], parse: Parse) -> list[Row]:
    print(f"\n== {title}: python -m {' '.join(command)}", flush=True)
    process = subprocess.run(
        [sys.executable, "-m", *command], stdout=subprocess.PIPE, text=True, check=False
    )
    print(process.stdout, end="", flush=True)
    if process.returncode != 0:
        print(f"({title} failed: exit {process.returncode})")
    return parse(process.stdout)


def _postgres_answers(url: str) -> bool:
    async def probe() -> bool:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        try:
            async with engine.connect():
                return True
        except Exception:  # any failure means: no PostgreSQL to measure
            return False
        finally:
            await engine.dispose()

    return asyncio.run(probe())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument(
        "--only", default="edges,graphql,core,sync,throughput", help="which benchmarks"
    )
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES, help="the PostgreSQL rows")
    args = parser.parse_args()
    only = set(args.only.split(","))
    postgres = args.database_url if _postgres_answers(args.database_url) else None
    quick = args.quick
    rows: list[Row] = []
    if "edges" in only:
        size = ["--requests", "1000", "--rounds", "3"] if quick else []
        rows += _run("cached bytes at the edges", ["bench.edges", *size], _ratio_rows)
    if "graphql" in only:
        size = ["--requests", "500", "--rounds", "3"] if quick else []
        rows += _run("GraphQL pages", ["bench.graphql", *size], _graphql_rows)
    if "core" in only:
        size = ["--runs", "3", "--orders", "50"] if quick else []
        database = ["--database-url", postgres] if postgres else []
        rows += _run("the core", ["bench.core", *size, *database], _core_rows)
    if "sync" in only:
        size = ["--orders", "2000"] if quick else []
        rows += _run("status sync (sqlite)", ["bench.sync", *size], _sync_rows("sqlite"))
        if postgres:
            database = ["--database-url", postgres]
            parse = _sync_rows("postgresql")
            rows += _run("status sync (postgresql)", ["bench.sync", *size, *database], parse)
    if "throughput" in only:
        size = ["--orders", "150", "--rounds", "2"] if quick else []
        database = ["--database-url", postgres] if postgres else ["--only", "sqlite"]
        rows += _run(
            "placement throughput", ["bench.throughput", *size, *database], _throughput_rows
        )
    print(f"\n== the table ({platform.node()}, {platform.machine()}, {_cpus()} CPUs, "
          f"Python {platform.python_version()}{', quick' if quick else ''})")  # fmt: skip
    width = max(len(r.path) for r in rows)
    for row in rows:
        print(f"{row.path:<{width}}   {row.figure:<40}   goal {row.goal}")


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
