"""The market of the value benchmark (`bench.value`): three simulated panels in this process, on
loopback, selling one product at pinned rates on one manual clock, and a gateway routing over
them whose ledger runs on the same simulated time.

::

    with ExitStack() as stack:
        qualities = {"cheap": "reliable", "mid": "reliable", "dear": "perfect"}
        sims, time = start_panels(stack, qualities)
        gw = await open_gateway(sims, time, "sqlite+aiosqlite:///value.db", "best_value")
        await step(gw, time)  # five simulated minutes on: poll, and read the quality it added
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from gateway.cache import cache_from_url
from gateway.config import (
    CatalogSection,
    GatewaySection,
    GroupSection,
    ProviderSection,
    QualitySection,
    RoutingSection,
    Settings,
)
from gateway.core import Gateway
from gateway.store import Store
from gateway.workers.sync import StatusSync
from providers.base import Provider
from providers.registry import ProviderConfig, build
from providers.simulator import ManualClock, SimulatorServer, simulator

PRODUCT = "Facebook Followers [Real] [R30]"
GROUP = "facebook followers r30"
STEP = 300.0
"""Simulated seconds between two placements of a batch, and between two polls."""
MIN_SAMPLE = 20
SEEDS = {"cheap": 11, "mid": 12, "dear": 13}
RATES = {"cheap": Decimal("0.50"), "mid": Decimal("0.80"), "dear": Decimal("1.20")}


class SimTime:
    """Aware UTC time moving with the panels' manual clock (the ledger's clock)."""

    def __init__(self, manual: ManualClock) -> None:
        self.manual = manual
        self.origin = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=self.manual.now())


def start_panels(
    stack: ExitStack, qualities: dict[str, str]
) -> tuple[dict[str, SimulatorServer], SimTime]:
    manual = ManualClock()
    sims: dict[str, SimulatorServer] = {}
    for name, quality in qualities.items():
        sim = stack.enter_context(
            simulator(seed=SEEDS[name], quality=quality, clock=manual, balance="100000000")
        )
        service = next(s for s in sim.panel.services if s.name == PRODUCT)
        sim.panel.set_rate(service.id, RATES[name])
        sims[name] = sim
    return sims, SimTime(manual)


async def open_gateway(
    sims: dict[str, SimulatorServer], time: SimTime, database_url: str, policy: str
) -> Gateway:
    members = [
        f"{name}:{next(s for s in sim.panel.services if s.name == PRODUCT).id}"
        for name, sim in sims.items()
    ]
    settings = Settings(
        gateway=GatewaySection(database_url=database_url, redis_url=None),
        providers=[
            ProviderSection(name=name, kind="simulator", url=sim.url, calls_per_minute=1_000_000)
            for name, sim in sims.items()
        ],
        # Prices never go stale in simulated days: the catalog is synced once.
        catalog=CatalogSection(
            groups=[GroupSection(name=GROUP, members=members)], refresh_seconds=30 * 86_400
        ),
        routing=RoutingSection(policy=policy, exploration_seed=1),
        quality=QualitySection(min_sample=MIN_SAMPLE),
    )
    providers: dict[str, Provider] = {
        s.name: build(
            ProviderConfig(
                name=s.name, kind=s.kind, url=s.url, key=SecretStr(sims[s.name].key or ""),
                calls_per_minute=s.calls_per_minute, timeout=10,
            )
        )
        for s in settings.providers
    }  # fmt: skip
    store = await Store.connect(database_url, clock=time)
    await store.migrate()
    gateway = Gateway(settings, store, cache_from_url(None), providers, clock=time)
    await gateway.catalog.sync()
    return gateway


async def step(gw: Gateway, time: SimTime, seconds: float = STEP) -> None:
    """Move the clock on, poll what is due, and read the quality it added."""
    time.manual.advance(seconds)
    await StatusSync(gw.store, gw.providers, clock=time).run()
    await gw.quality.report(fresh=True)
