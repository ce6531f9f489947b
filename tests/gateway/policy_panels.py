"""Three simulated panels selling one product at different prices and qualities, a gateway on
them whose ledger runs on the panels' manual clock, and orders with known outcomes.

The panels (seeds 11, 12, 13) list "Facebook Followers [Real] [R30]" at pinned rates; the
gateway groups the three in one explicit group, so a quote has exactly these candidates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from gateway.cache import cache_from_url
from gateway.catalog import Group
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
from gateway.store import OrderRow, Store
from gateway.workers.sync import StatusSync
from providers.base import Provider
from providers.registry import ProviderConfig, build
from providers.simulator import ManualClock, SimulatorServer, simulator

PRODUCT = "Facebook Followers [Real] [R30]"
GROUP = "facebook followers r30"


@dataclass(frozen=True)
class PanelPlan:
    name: str
    seed: int
    quality: str
    rate: Decimal


PLANS = (
    PanelPlan("cheap", 11, "cheap_underdelivers", Decimal("0.50")),
    PanelPlan("mid", 12, "reliable", Decimal("0.80")),
    PanelPlan("dear", 13, "perfect", Decimal("1.20")),
)


class SimTime:
    """The gateway's clock: aware UTC time that moves with the panels' manual clock."""

    def __init__(self, manual: ManualClock) -> None:
        self.manual = manual
        self.origin = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=self.manual.now())

    def advance(self, seconds: float) -> None:
        self.manual.advance(seconds)


@dataclass
class ValuePanels:
    """The running panels by name, their service of the product, and the shared time."""

    sims: dict[str, SimulatorServer]
    services: dict[str, str]
    time: SimTime


def start_value_panels(stack: ExitStack, plans: tuple[PanelPlan, ...] = PLANS) -> ValuePanels:
    manual = ManualClock()
    sims: dict[str, SimulatorServer] = {}
    services: dict[str, str] = {}
    for plan in plans:
        sim = stack.enter_context(
            simulator(seed=plan.seed, quality=plan.quality, clock=manual, balance="1000000")
        )
        service = next(s for s in sim.panel.services if s.name == PRODUCT)
        sim.panel.set_rate(service.id, plan.rate)
        sims[plan.name], services[plan.name] = sim, str(service.id)
    return ValuePanels(sims, services, SimTime(manual))


def value_settings(
    panels: ValuePanels,
    database_url: str,
    redis_url: str | None,
    namespace: str,
    *,
    routing: RoutingSection | None = None,
    min_sample: int = 10,
    group_policy: str | None = None,
) -> Settings:
    members = [f"{name}:{service}" for name, service in panels.services.items()]
    return Settings(
        gateway=GatewaySection(
            database_url=database_url, redis_url=redis_url, cache_namespace=namespace
        ),
        providers=[
            ProviderSection(name=name, kind="simulator", url=sim.url, calls_per_minute=1_000_000)
            for name, sim in panels.sims.items()
        ],
        catalog=CatalogSection(
            groups=[GroupSection(name=GROUP, members=members, routing_policy=group_policy)]
        ),
        routing=routing or RoutingSection(exploration_share=Decimal(0)),
        quality=QualitySection(min_sample=min_sample),
    )


@asynccontextmanager
async def value_gateway(settings: Settings, panels: ValuePanels) -> AsyncIterator[Gateway]:
    """A gateway on `panels` whose ledger (and so every measured time) runs on their clock."""
    providers: dict[str, Provider] = {
        s.name: build(
            ProviderConfig(
                name=s.name, kind=s.kind, url=s.url, key=SecretStr(panels.sims[s.name].key or ""),
                calls_per_minute=s.calls_per_minute, timeout=5,
            )
        )
        for s in settings.providers
    }  # fmt: skip
    store = await Store.connect(settings.gateway.database_url, clock=panels.time)
    await store.migrate()
    cache = cache_from_url(settings.gateway.redis_url, settings.gateway.cache_namespace)
    gateway = Gateway(settings, store, cache, providers, clock=panels.time)
    try:
        await gateway.catalog.sync()
        yield gateway
    finally:
        await gateway.aclose()


async def product_group(gw: Gateway) -> Group:
    snapshot = await gw.catalog.snapshot()
    return next(g for g in snapshot.groups.values() if g.name == GROUP)


@dataclass(frozen=True)
class Outcome:
    """What recorded orders of one provider service did: `delivered` and `charged` as shares
    of the quantity and the quoted cost, seconds to start and to end."""

    delivered: Decimal = Decimal(1)
    charged: Decimal = Decimal(1)
    start: float = 60.0
    took: float = 1200.0


async def record_orders(
    gw: Gateway, time: SimTime, provider: str, service: str, rate: Decimal, count: int,
    outcome: Outcome, quantity: int = 1000,
) -> list[OrderRow]:  # fmt: skip
    """`count` orders of `quantity` finished at `provider` as `outcome` says, each through the
    ledger's own changes (sent, started, final), so the quality buckets count them."""
    store = gw.store
    cost = rate * quantity / 1000
    delivered = int(outcome.delivered * quantity)
    state = "COMPLETED" if delivered >= quantity else "PARTIAL"
    rows = []
    for n in range(count):
        request = {"service": service, "link": f"https://facebook.com/p/{n}", "quantity": quantity}
        row = await store.create_order(
            client_id="history", request=request, provider=provider, provider_service_id=service,
            quoted_cost=cost, currency="USD", provider_cost=cost, provider_currency="USD",
        )  # fmt: skip
        row = await store.mark_sent(row.id, row.version)
        row = await store.update_order(row.id, event_kind="placed", state="PENDING")
        time.advance(outcome.start)
        row = await store.update_order(row.id, event_kind="status", state="IN_PROGRESS")
        time.advance(outcome.took - outcome.start)
        rows.append(
            await store.update_order(
                row.id,
                event_kind="status",
                state=state,
                remains=quantity - delivered,
                charge=cost * outcome.charged,
                charge_currency="USD",
            )
        )
    return rows


async def settle(gw: Gateway, time: SimTime, seconds: float = 86_400) -> None:
    """Move the panels' clock on by `seconds`, then poll every due order as the status sync
    does (on the same clock), and read the quality it added."""
    time.advance(seconds)
    await StatusSync(gw.store, gw.providers, clock=time).run()
    await gw.quality.report(fresh=True)
    await gw.catalog.sync()  # prices synced a day ago are stale now
