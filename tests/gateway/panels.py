"""Three simulated panels with different prices, quirks and currencies, and a gateway on them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from pydantic import SecretStr

from gateway.catalog import Group
from gateway.config import GatewaySection, LimitsSection, ProviderSection, Settings
from gateway.core import Gateway
from providers.base import Provider
from providers.models import ServiceType
from providers.registry import ProviderConfig, build
from providers.simulator import ManualClock, SimulatorServer, simulator

EUR_TO_USD = Decimal("1.08")


@dataclass(frozen=True)
class PanelSpec:
    name: str
    profile: str
    seed: int
    currency: str


PANELS = (
    PanelSpec("alpha", "seed", 11, "USD"),
    PanelSpec("beta", "sloppy", 12, "USD"),
    PanelSpec("gamma", "json", 13, "EUR"),
)


@dataclass
class Trio:
    """The running panels, by provider name, sharing one manual clock."""

    sims: dict[str, SimulatorServer]
    clock: ManualClock

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def calls(self, action: str) -> dict[str, int]:
        return {name: sim.panel.calls[action] for name, sim in self.sims.items()}


def start_trio(stack: ExitStack, services: int = 300) -> Trio:
    clock = ManualClock()
    sims = {
        spec.name: stack.enter_context(
            simulator(seed=spec.seed, services=services, profile=spec.profile,
                      currency=spec.currency, balance="100000", clock=clock)
        )
        for spec in PANELS
    }  # fmt: skip
    return Trio(sims, clock)


def trio_settings(trio: Trio, database_url: str, redis_url: str | None, namespace: str) -> Settings:
    return Settings(
        gateway=GatewaySection(
            database_url=database_url, redis_url=redis_url, cache_namespace=namespace
        ),
        providers=[
            ProviderSection(
                name=spec.name, kind="simulator", url=trio.sims[spec.name].url,
                key_env=f"{spec.name.upper()}_KEY", profile=spec.profile,
                currency=spec.currency, calls_per_minute=1_000_000, timeout=2,
            )
            for spec in PANELS
        ],
        currency_rates={"EUR": EUR_TO_USD},
        # Out of the way unless a test is about limits.
        limits=LimitsSection(per_key="100000/minute", anonymous="100000/minute"),
    )  # fmt: skip


def trio_providers(trio: Trio, settings: Settings) -> dict[str, Provider]:
    return {
        section.name: build(
            ProviderConfig(
                name=section.name, kind=section.kind, url=section.url,
                key=SecretStr(trio.sims[section.name].key or ""), profile=section.profile,
                currency=section.currency, timeout=section.timeout,
                calls_per_minute=section.calls_per_minute, retry_attempts=2,
            )
        )
        for section in settings.providers
    }  # fmt: skip


@asynccontextmanager
async def open_gateway(settings: Settings, trio: Trio) -> AsyncIterator[Gateway]:
    gateway = await Gateway.open(settings, providers=trio_providers(trio, settings))
    try:
        yield gateway
    finally:
        await gateway.aclose()


async def shared_group(gw: Gateway, members: int = 3, **flags: bool) -> Group:
    """A default-type group offered by `members` providers, with the given service flags."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        if (
            len(group.providers) == members
            and group.type is ServiceType.DEFAULT
            and all(getattr(m.service, k) == v for m in group.members for k, v in flags.items())
        ):
            return group
    raise AssertionError(f"no group offered by {members} providers with {flags}")
