"""The gateway-core benchmark: concurrent balances, what the ledger adds around an order, and
what a client account adds to it (price and hold).

::

    python -m bench.core --runs 15 --orders 200
    python -m bench.core --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Five simulated panels run in this process, on loopback, spoken to over real HTTP. Balances are
read with 100 ms added to every panel call; orders are placed with no added latency, through
`Gateway.place` and straight through the same adapter, alternately, so machine noise hits both.
The durable ledger's cost is measured the same way: one SQLite ledger with ``synchronous =
NORMAL`` (as before), one with ``FULL`` (as the gateway runs), and the adapter, in turn. So is
accounting: an order of a client account (priced with its list, its price held in the order
row's transaction) beside the same order of an operator key, and the adapter, in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from time import perf_counter

from pydantic import SecretStr

from gateway import heap
from gateway.accounts.pricing import PriceList
from gateway.cache import cache_from_url
from gateway.catalog import Group, Snapshot
from gateway.config import GatewaySection, ProviderSection, Settings
from gateway.core import Gateway
from gateway.store import Store
from gateway.store.engine import Synchronous
from providers.base import Provider
from providers.models import OrderState, ServiceType
from providers.registry import ProviderConfig, build
from providers.simulator import SimulatorServer, simulator

PANELS = 5
LATENCY_MS = 100.0
WARMUP = 10


def start_panels(stack: ExitStack, latency_ms: float) -> dict[str, SimulatorServer]:
    # Fresh simulators repeat their order ids; names new to the ledger let a database be reused.
    run = secrets.token_hex(3)
    return {
        f"panel{n}-{run}": stack.enter_context(
            simulator(seed=n, services=300, balance=10_000_000, latency_ms=latency_ms)
        )
        for n in range(1, PANELS + 1)
    }


async def open_gateway(
    sims: dict[str, SimulatorServer], database_url: str, synchronous: Synchronous = "FULL"
) -> Gateway:
    """A gateway on `sims`, as `Gateway.open` builds it; `synchronous` for a SQLite ledger."""
    # as Gateway.open: metrics reads the core
    from gateway.upstream_metrics import InstrumentedProvider

    sections = [
        ProviderSection(name=name, kind="simulator", url=sim.url, calls_per_minute=1_000_000)
        for name, sim in sims.items()
    ]
    settings = Settings(
        gateway=GatewaySection(database_url=database_url, redis_url=None), providers=sections
    )
    providers: dict[str, Provider] = {
        s.name: InstrumentedProvider(
            build(
                ProviderConfig(
                    name=s.name, kind=s.kind, url=s.url, key=SecretStr(sims[s.name].key or ""),
                    calls_per_minute=s.calls_per_minute, timeout=s.timeout,
                )
            ),
            s.name,
        )
        for s in sections
    }  # fmt: skip
    store = await Store.connect(database_url, sqlite_synchronous=synchronous)
    await store.migrate()
    gateway = Gateway(settings, store, cache_from_url(None), providers)
    heap.settle()  # as a serving process does once started
    return gateway


async def elapsed(call: Awaitable[object]) -> float:
    start = perf_counter()
    await call
    return perf_counter() - start


async def time_balances(gw: Gateway, runs: int) -> tuple[float, float, float]:
    """Medians of: every balance at once, the slowest single balance, the five one by one."""
    together, slowest, in_turn = [], [], []
    for _ in range(runs):
        together.append(await elapsed(gw.balances.fetch(fresh=True)))
        singles = [await elapsed(p.balance()) for p in gw.providers.values()]
        slowest.append(max(singles))
        in_turn.append(sum(singles))
    return statistics.median(together), statistics.median(slowest), statistics.median(in_turn)


Timed = Callable[[int], Awaitable[None]]


def bench_group(snapshot: Snapshot) -> Group:
    """The default-type service offered by the most providers (the lowest id of those)."""
    return max(
        (g for g in snapshot.groups.values() if g.type is ServiceType.DEFAULT),
        key=lambda g: (len(g.providers), -g.id),
    )


async def order_calls(gw: Gateway, tag: str) -> tuple[Timed, Timed]:
    """An order placed through the core, and the same order straight to the adapter the core
    chooses; each call takes the order's number, for a link of its own."""
    await gw.catalog.sync()
    snapshot = await gw.catalog.snapshot()
    group = bench_group(snapshot)
    fields = {"link": "https://instagram.com/p/0", "quantity": group.min}
    decision = await gw.quote(group.id, fields)
    if decision.chosen is None:
        raise RuntimeError(f"group {group.id} has no eligible provider")
    offer = decision.chosen.offer
    adapter = gw.providers[offer.provider]
    direct_request = decision.request.model_copy(update={"service": offer.service.id})

    def link(n: int) -> str:
        return f"https://instagram.com/p/{tag}-{n}"

    async def core(n: int) -> None:
        row = await gw.place("bench", group.id, {**fields, "link": link(n)})
        if row.state != OrderState.PENDING or row.provider != offer.provider:
            raise RuntimeError(f"order {row.id} went {row.state} at {row.provider}")

    async def direct(n: int) -> None:
        await adapter.add(direct_request.model_copy(update={"link": f"{link(n)}-direct"}))

    return core, direct


async def account_call(gw: Gateway, tag: str) -> Timed:
    """The order of `order_calls` placed for a client account: markup 20%, funds for every
    order, so each is priced and held."""
    snapshot = await gw.catalog.snapshot()
    group = bench_group(snapshot)
    fields = {"link": "https://instagram.com/p/0", "quantity": group.min}
    prices = PriceList(markup_percent=Decimal(20))
    # A name of its own: a reused database keeps the accounts of earlier runs.
    name = f"bench-{tag}-{secrets.token_hex(3)}"
    account = await gw.store.create_account(
        name, currency=gw.base_currency, price_list=prices.model_dump(mode="json")
    )
    await gw.store.top_up(account.id, Decimal(10) ** 9, reason="bench funds")
    # As the API reads it for each call: with its funds.
    funded = await gw.store.account_by_id(account.id)
    assert funded is not None

    async def placed(n: int) -> None:
        link = f"https://instagram.com/p/{tag}-{n}-account"
        row = await gw.place(name, group.id, {**fields, "link": link}, account=funded)
        if row.state != OrderState.PENDING or row.client_price is None:
            raise RuntimeError(f"order {row.id} went {row.state} for account {name}")

    return placed


async def time_accounting(gw: Gateway, orders: int, tag: str) -> dict[str, float]:
    """Medians of one order of a client account, one of an operator key, and the adapter's."""
    core, direct = await order_calls(gw, tag)
    account = await account_call(gw, tag)
    return await time_in_turn({"account": account, "core": core, "direct": direct}, orders)


async def time_in_turn(calls: dict[str, Timed], orders: int) -> dict[str, float]:
    """The median of each call, run in turn order by order; the turn rotates, so none always
    follows the same other's work."""
    names = list(calls)
    for n in range(WARMUP):
        for name in names:
            await calls[name](-1 - n)
    timings: dict[str, list[float]] = {name: [] for name in names}
    for n in range(orders):
        turn = names[n % len(names) :] + names[: n % len(names)]
        for name in turn:
            timings[name].append(await elapsed(calls[name](n)))
    return {name: statistics.median(values) for name, values in timings.items()}


async def time_orders(gw: Gateway, orders: int, tag: str) -> tuple[float, float]:
    """Medians of one order placed through the core and one sent straight to its adapter."""
    core, direct = await order_calls(gw, tag)
    medians = await time_in_turn({"core": core, "direct": direct}, orders)
    return medians["core"], medians["direct"]


async def time_durability(
    sims: dict[str, SimulatorServer], workdir: Path, orders: int
) -> dict[str, float]:
    """Medians of an order through a SQLite ledger at ``NORMAL`` and at ``FULL``, and direct."""
    modes: tuple[Synchronous, ...] = ("NORMAL", "FULL")
    gateways = [
        await open_gateway(sims, f"sqlite+aiosqlite:///{workdir / mode}.db", mode) for mode in modes
    ]
    try:
        calls: dict[str, Timed] = {}
        for mode, gw in zip(modes, gateways, strict=True):
            calls[mode], calls["direct"] = await order_calls(gw, f"durability-{mode}")
        return await time_in_turn(calls, orders)
    finally:
        for gw in gateways:
            await gw.aclose()


async def run(runs: int, orders: int, database_url: str | None) -> None:
    with ExitStack() as stack:
        sims = start_panels(stack, LATENCY_MS)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        databases = {"sqlite": f"sqlite+aiosqlite:///{workdir / 'bench.db'}"}
        if database_url:
            databases[database_url.split(":", 1)[0].split("+", 1)[0]] = database_url

        async with await open_gateway(sims, databases["sqlite"]) as gw:
            together, slowest, in_turn = await time_balances(gw, runs)
        print(
            f"balances, {PANELS} providers x {LATENCY_MS:g} ms latency   "
            f"median {together:.3f} s   slowest provider {slowest:.3f} s   "
            f"ratio {together / slowest:.2f}x   (one by one {in_turn:.3f} s)"
        )

        for sim in sims.values():
            sim.faults.latency_ms = 0.0
        for name, url in databases.items():
            async with await open_gateway(sims, url) as gw:
                placed, added = await time_orders(gw, orders, tag=name)
            print(
                f"place order through the core ({name:<10})   median {placed * 1000:.1f} ms   "
                f"direct adapter add {added * 1000:.1f} ms   ratio {placed / added:.2f}x   "
                f"overhead {(placed - added) * 1000:.1f} ms"
            )

        for name, url in databases.items():
            async with await open_gateway(sims, url) as gw:
                timed = await time_accounting(gw, orders, tag=f"accounting-{name}")
            held, plain, added = timed["account"], timed["core"], timed["direct"]
            print(
                f"place order with an account ({name:<10})   median {held * 1000:.1f} ms   "
                f"without {plain * 1000:.1f} ms   direct adapter add {added * 1000:.1f} ms   "
                f"accounting {held / plain:.2f}x   +{(held - plain) * 1000:.1f} ms an order"
            )

        medians = await time_durability(sims, workdir, orders)
        added = medians["direct"]
        for mode in ("NORMAL", "FULL"):
            placed = medians[mode]
            print(
                f"place order, SQLite synchronous={mode:<6}   median {placed * 1000:.1f} ms   "
                f"direct adapter add {added * 1000:.1f} ms   "
                f"overhead {(placed - added) * 1000:.1f} ms"
            )
        normal, full = medians["NORMAL"] - added, medians["FULL"] - added
        print(
            f"durable ledger (FULL vs NORMAL)   order {medians['FULL'] / medians['NORMAL']:.2f}x   "
            f"overhead {full / normal:.2f}x   +{(full - normal) * 1000:.1f} ms an order"
        )
    print(f"({runs} balance runs, {orders} orders each way, medians)")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.core", description="Benchmark the gateway core on simulated panels."
    )
    parser.add_argument("--runs", type=int, default=15, help="balance fetches (default 15)")
    parser.add_argument("--orders", type=int, default=200, help="orders each way (default 200)")
    parser.add_argument(
        "--database-url", help="also place orders on this database (e.g. PostgreSQL)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.runs, args.orders, args.database_url))


if __name__ == "__main__":
    main()
