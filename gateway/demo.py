"""The embedded demo: three simulated panels, SQLite in a folder, the gateway serving them.

Nothing to install or configure: the panels differ in price (their seeds), quirks (profiles),
currency and latency, so routing has real choices to make; simulated time runs a minute per
second, so orders move from Pending to Completed while you watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from gateway.config import GatewaySection, ProviderSection, Settings
from gateway.core import Gateway
from providers.base import Provider
from providers.registry import ProviderConfig, build
from providers.simulator import SimulatorServer, simulator

DEMO_KEY_VARIABLE = "SMM_GATEWAY_DEMO_KEY"
SPEED = 60.0
"""Simulated seconds per real second."""


@dataclass(frozen=True)
class DemoPanel:
    name: str
    profile: str
    seed: int
    currency: str
    latency_ms: float


PANELS = (
    DemoPanel("alpha", "seed", 101, "USD", 20),
    DemoPanel("beta", "sloppy", 102, "USD", 60),
    DemoPanel("gamma", "json", 103, "EUR", 120),
)
EUR_RATE = Decimal("1.08")


@contextlib.contextmanager
def running_panels(services: int = 300) -> Iterator[dict[str, SimulatorServer]]:
    """Start the demo's simulated panels on loopback; stop them on exit."""
    with contextlib.ExitStack() as stack:
        yield {
            panel.name: stack.enter_context(
                simulator(
                    seed=panel.seed, services=services, profile=panel.profile,
                    currency=panel.currency, latency_ms=panel.latency_ms, speed=SPEED,
                    balance="5000",
                )
            )
            for panel in PANELS
        }  # fmt: skip


def demo_settings(
    panels: dict[str, SimulatorServer], data_dir: Path, redis_url: str | None
) -> Settings:
    return Settings(
        gateway=GatewaySection(
            database_url=f"sqlite+aiosqlite:///{data_dir / 'smm-gateway.db'}",
            redis_url=redis_url,
        ),
        providers=[
            ProviderSection(
                name=p.name, kind="simulator", url=panels[p.name].url, profile=p.profile,
                currency=p.currency, timeout=10,
            )
            for p in PANELS
        ],
        currency_rates={"EUR": EUR_RATE},
    )  # fmt: skip


def demo_providers(panels: dict[str, SimulatorServer], settings: Settings) -> dict[str, Provider]:
    """Adapters for the panels, with the keys the panels were started with."""
    return {
        section.name: build(
            ProviderConfig(
                name=section.name, kind=section.kind, url=section.url,
                key=SecretStr(panels[section.name].key or ""), profile=section.profile,
                currency=section.currency, timeout=section.timeout,
            )
        )
        for section in settings.providers
    }  # fmt: skip


async def demo_key(gateway: Gateway, environ: dict[str, str] | None = None) -> tuple[str, bool]:
    """The demo's admin key: ``SMM_GATEWAY_DEMO_KEY`` if set, else a new one.

    Returns the key and whether it was created now.
    """
    environ = dict(os.environ) if environ is None else environ
    chosen = environ.get(DEMO_KEY_VARIABLE, "").strip()
    if chosen and await gateway.store.verify_api_key(chosen) is not None:
        return chosen, False
    secret = chosen or "smmgw_demo_" + secrets.token_urlsafe(24)
    await gateway.store.create_api_key("demo admin", "demo", ["admin"], secret=secret)
    return secret, True


def banner(host: str, port: int, key: str, data_dir: Path) -> str:
    base = f"http://{host}:{port}"
    return f"""
smm-gateway demo is running: three simulated panels (alpha, beta, gamma) behind one gateway.

  GraphQL    {base}/graphql   (open it in a browser for GraphiQL)
  API v2     {base}/api/v2
  Health     {base}/healthz
  Admin key  {key}
  Data       {data_dir}

Try:
  curl -s {base}/api/v2 -d key={key} -d action=balance
  curl -s {base}/api/v2 -d key={key} -d action=services | head -c 600
  curl -s {base}/graphql -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\
    -d '{{"query": "{{ services(first: 3) {{ nodes {{ id name rate {{ amount }} }} }} }}"}}'

Stop with Ctrl-C.
"""


async def serve_demo(
    host: str,
    port: int,
    data_dir: Path,
    *,
    redis_url: str | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Run the demo until interrupted."""
    import uvicorn

    from gateway.app import create_app

    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    with running_panels() as panels:
        settings = demo_settings(panels, data_dir, redis_url)
        gateway = await Gateway.open(settings, providers=demo_providers(panels, settings))
        try:
            results = await gateway.catalog.sync()
            for result in results:
                state = f"{result.services} services" if result.ok else f"failed: {result.error}"
                say(f"  catalog: {result.provider}: {state}")
            key, _ = await demo_key(gateway)
            app = create_app(settings, gateway=gateway)
            config = uvicorn.Config(app, host=host, port=port, log_level="warning")
            server = uvicorn.Server(config)
            say(banner(host, port, key, data_dir))
            await server.serve()
        finally:
            await gateway.aclose()
