"""The value benchmark: what routing by ``best_value`` buys over ``cheapest``.

::

    python -m bench.value                        # 1,000 orders per policy and scenario
    python -m bench.value --orders 300 --bound-minutes 45

Three simulated panels in this process, on loopback, spoken to over real HTTP, sell one product
("Facebook Followers [Real] [R30]", grouped explicitly) at pinned rates: 0.50, 0.80 and 1.20 per
1,000 (`bench.value_market`). Two scenarios, each run under both policies side by side on fresh
panels of the same seeds and a fresh SQLite ledger:

- **quality differs**: the cheapest panel under-delivers and keeps the charge of its partials
  (`cheap_underdelivers`), the middle one is `reliable`, the dearest `perfect`;
- **quality equal**: all three `reliable` (``best_value`` should route as ``cheapest`` does).

Time is the panels' manual clock, which the gateway's ledger also runs on, so the run takes
seconds, not days. Under ``best_value`` the gateway first learns: orders in rounds, each round
finished before the next, exploration sending every order to a panel still without a score
until each has `min_sample` finished orders; those warm-up orders are not counted. Then the
measured orders are placed 50 every 5 simulated minutes (exploration at its default share),
polled every 5 minutes by the status sync until all are final. Printed for each: the orders each
panel got, units delivered per unit of money spent, the share of orders delivered in full
within the bound, and the median time to complete (5-minute resolution).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench.value_market import MIN_SAMPLE, SEEDS, SimTime, open_gateway, start_panels, step
from gateway.config import RoutingSection
from gateway.core import Gateway
from gateway.store import FINAL_STATES, OrderRow
from providers.models import OrderState

QUANTITY = 1000
BATCH = 50
SCENARIOS = {
    "quality differs": {"cheap": "cheap_underdelivers", "mid": "reliable", "dear": "perfect"},
    "quality equal": {"cheap": "reliable", "mid": "reliable", "dear": "reliable"},
}


@dataclass(frozen=True)
class Result:
    learned: str
    """What `best_value` learned in the warm-up (empty under `cheapest`)."""
    routed: Counter[str]
    delivered: int
    spent: Decimal
    in_full: int
    orders: int
    median_minutes: float | None

    @property
    def per_money(self) -> Decimal:
        return Decimal(self.delivered) / self.spent if self.spent else Decimal(0)

    @property
    def full_share(self) -> Decimal:
        return Decimal(self.in_full) / Decimal(self.orders)


async def place(gw: Gateway, group_id: int, tag: str, count: int) -> list[OrderRow]:
    rows = []
    for n in range(count):
        fields = {"link": f"https://facebook.com/p/{tag}-{n}", "quantity": QUANTITY}
        rows.append(await gw.place("bench", group_id, fields))
    return rows


async def open_orders(gw: Gateway, ids: list[int]) -> int:
    rows = await gw.store.get_orders(ids)
    return sum(1 for r in rows if r.state not in FINAL_STATES)


async def warm(gw: Gateway, time: SimTime, group_id: int) -> int:
    """Orders in finished rounds, exploring every order, until every panel has a score; how
    many were placed."""
    gw.router.exploration_share = Decimal(1)
    placed = 0
    for round_ in range(20):
        report = await gw.quality.report(fresh=True)
        offers = (await gw.catalog.snapshot()).groups[group_id].members
        if all(report.service(*o.key).orders >= MIN_SAMPLE for o in offers):
            break
        rows = await place(gw, group_id, f"warm{round_}", MIN_SAMPLE)
        placed += len(rows)
        await step(gw, time, 86_400)
    gw.router.exploration_share = RoutingSection().exploration_share
    return placed


async def measure(
    gw: Gateway, time: SimTime, group_id: int, orders: int, bound: timedelta
) -> Result:
    ids: list[int] = []
    while len(ids) < orders:
        rows = await place(gw, group_id, f"m{len(ids)}", min(BATCH, orders - len(ids)))
        ids += [r.id for r in rows]
        await step(gw, time)
    for _ in range(2 * 24 * 12):  # two simulated days at most
        if not await open_orders(gw, ids):
            break
        await step(gw, time)
    return summarise(await gw.store.get_orders(ids), orders, bound)


async def learned(gw: Gateway, group_id: int) -> str:
    """Each panel's figures as `best_value` reads them now."""
    quote = await gw.quote(group_id, {"link": "https://facebook.com/p/q", "quantity": QUANTITY})
    parts = []
    for candidate in sorted(quote.candidates, key=lambda c: c.offer.provider):
        e = candidate.estimate
        assert e is not None
        parts.append(
            f"{candidate.offer.provider} delivered {e.delivered_fraction:.3f}"
            f" charged {e.charge_fraction:.3f} ({e.samples['delivered_fraction']} orders)"
            f" whole 1,000 for {e.expected_money.amount:.4f}"
        )
    return "learned: " + "; ".join(parts)


def summarise(rows: list[OrderRow], orders: int, bound: timedelta) -> Result:
    """Units delivered (quantity - remains; all of a completed order, none of one that names
    no remains), charges, and completed orders within `bound` of being sent."""
    delivered, spent, in_full = 0, Decimal(0), 0
    minutes: list[float] = []
    for row in rows:
        if row.state == OrderState.COMPLETED:
            delivered += QUANTITY
        elif row.remains is not None:
            delivered += QUANTITY - min(max(row.remains, 0), QUANTITY)
        spent += row.charge if row.charge is not None else Decimal(0)
        if row.state == OrderState.COMPLETED and row.sent_at is not None:
            took = row.updated_at - row.sent_at
            minutes.append(took.total_seconds() / 60)
            in_full += took <= bound
    median = statistics.median(minutes) if minutes else None
    routed = Counter(r.provider or "-" for r in rows)
    return Result("", routed, delivered, spent, in_full, orders, median)


async def run(
    qualities: dict[str, str], policy: str, orders: int, bound: timedelta, workdir: Path
) -> Result:
    """One scenario under one policy, on fresh panels and a fresh ledger."""
    with ExitStack() as stack:
        sims, time = start_panels(stack, qualities)
        url = f"sqlite+aiosqlite:///{workdir / f'{policy}-{id(sims)}.db'}"
        gw = await open_gateway(sims, time, url, policy)
        try:
            group = next(g for g in (await gw.catalog.snapshot()).groups.values())
            known = ""
            if policy != "cheapest":
                await warm(gw, time, group.id)
                known = await learned(gw, group.id)
            result = await measure(gw, time, group.id, orders, bound)
            return dataclasses.replace(result, learned=known)
        finally:
            await gw.aclose()


def line(scenario: str, policy: str, r: Result, bound: timedelta) -> str:
    routed = "/".join(str(r.routed.get(n, 0)) for n in SEEDS)
    median = "-" if r.median_minutes is None else f"{r.median_minutes:.0f} min"
    return (
        f"{scenario:<16} {policy:<11} orders {r.orders}   cheap/mid/dear {routed:<12}"
        f" units per money {r.per_money:8.1f}   in full within {bound.seconds // 60} min"
        f" {r.full_share:6.1%}   median completion {median}"
    )


async def main(orders: int, bound: timedelta) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, qualities in SCENARIOS.items():
            results = {
                policy: await run(qualities, policy, orders, bound, Path(tmp))
                for policy in ("cheapest", "best_value")
            }
            for policy, result in results.items():
                print(line(scenario, policy, result, bound), flush=True)
                if result.learned:
                    print(f"{'':<16} {'':<11} {result.learned}", flush=True)
            cheap, value = results["cheapest"], results["best_value"]
            points = (value.full_share - cheap.full_share) * 100
            print(
                f"{scenario:<16} best_value vs cheapest: units per money"
                f" {value.per_money / cheap.per_money:.2f}x, in full within the bound"
                f" {points:+.1f} points",
                flush=True,
            )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--bound-minutes", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.orders, timedelta(minutes=args.bound_minutes)))


if __name__ == "__main__":
    cli()
