"""The embedded demo: three simulated panels, SQLite in a folder, the gateway serving them.

Nothing to install or configure: the panels differ in price (their seeds), quirks (profiles),
currency and latency, so routing has real choices to make; simulated time runs a minute per
second, so orders move from Pending to Completed while you watch. Everything lives in the data
folder (the ledger, the panels' orders, the admin key, the client account's key: see
`gateway.demo_shop`), so a restart goes on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError

from gateway.config import (
    ApiSection,
    GatewaySection,
    ProviderSection,
    Settings,
    WebhooksSection,
)
from gateway.core import Gateway
from gateway.demo_shop import Shop, demo_shop
from gateway.store.api_keys import MIN_SECRET_LENGTH
from providers.base import Provider
from providers.registry import ProviderConfig, build
from providers.simulator import SimulatorServer, simulator
from providers.simulator.persist import PanelFile
from providers.simulator.render import Renderer

DEMO_KEY_VARIABLE = "SMM_GATEWAY_DEMO_KEY"
SPEED = 60.0
"""Simulated seconds per real second."""
KEY_FILE = "demo-key"
ENV_FILE = "env"


class DemoError(Exception):
    """The demo cannot start; the message says why in one line."""


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
def running_panels(
    services: int = 300, data_dir: Path | None = None
) -> Iterator[dict[str, SimulatorServer]]:
    """Start the demo's simulated panels on loopback; stop them on exit. With `data_dir`, each
    panel keeps its key, orders and ids in ``panels/<name>.state`` there across restarts."""
    with contextlib.ExitStack() as stack:
        found = {}
        for panel in PANELS:
            saved = PanelFile(state_file(data_dir, panel.name)) if data_dir else None
            server = simulator(
                seed=panel.seed, services=services, profile=panel.profile,
                currency=panel.currency, latency_ms=panel.latency_ms, speed=SPEED,
                balance="5000", key=saved.key() if saved else None,
            )  # fmt: skip
            if saved is not None:
                saved.keep(server.panel)
                # Also on the way out (after the server stopped): its time goes on from there.
                stack.callback(saved.save, server.panel)
            found[panel.name] = stack.enter_context(server)
        yield found


def state_file(data_dir: Path, name: str) -> Path:
    return data_dir / "panels" / f"{name}.state"


async def ids_past_the_ledger(
    gateway: Gateway, panels: dict[str, SimulatorServer], fresh: set[str]
) -> None:
    """Panels started without a saved state (a data folder from before panels kept theirs,
    or one whose panels/ was removed) hand out ids above any the ledger has from them."""
    codecs = {n: Renderer(panels[n].profile, salt=str(panels[n].panel.seed)).order_ids
              for n in fresh}  # fmt: skip
    highest: dict[str, int] = {}
    after: int | None = None
    while codecs:
        page = await gateway.store.list_orders(None, None, after, 500)
        if not page:
            break
        for row in page:
            name, given = row.provider or "", row.provider_order_id
            number = codecs[name].decode(given) if name in codecs and given else None
            if number is not None:
                highest[name] = max(highest.get(name, 0), number)
        after = page[-1].id
    for name, number in highest.items():
        panels[name].panel.ids_from(number + 1)


def demo_settings(
    panels: dict[str, SimulatorServer],
    data_dir: Path,
    redis_url: str | None,
    *,
    loopback: bool = True,
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
        # The demo is one machine: webhooks to a receiver on loopback are what it is for.
        webhooks=WebhooksSection(allow_private_targets=True),
        # A place to explore: GraphiQL works without pasting a key first.
        # /metrics without a token only while nobody but this machine can reach it.
        api=ApiSection(anonymous_introspection=True, metrics_public=loopback),
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


@dataclass(frozen=True)
class DemoKey:
    secret: str = field(repr=False)
    supplied: bool
    """Given in ``SMM_GATEWAY_DEMO_KEY``: the user's own, never printed."""


async def demo_key(
    gateway: Gateway, data_dir: Path, environ: dict[str, str] | None = None
) -> DemoKey:
    """The demo's admin key: ``SMM_GATEWAY_DEMO_KEY`` if set, else the one kept in the data
    folder, else a new one kept there. A key the ledger lacks is added once, never again; a
    kept key that was revoked is replaced."""
    chosen = chosen_key(environ)
    kept = data_dir / KEY_FILE
    secret = chosen
    if not secret:
        with contextlib.suppress(FileNotFoundError):
            secret = (await asyncio.to_thread(kept.read_text)).strip()
    while True:
        if not secret:
            secret = "smmgw_demo_" + secrets.token_urlsafe(24)
            await asyncio.to_thread(_write_private, kept, secret + "\n")
        if await gateway.store.verify_api_key(secret) is not None:
            return DemoKey(secret, supplied=bool(chosen))
        try:
            await gateway.store.create_api_key("demo admin", "demo", ["admin"], secret=secret)
            return DemoKey(secret, supplied=bool(chosen))
        except IntegrityError:  # in the ledger already, and revoked
            if chosen:
                raise DemoError(f"the key in {DEMO_KEY_VARIABLE} was revoked here") from None
            secret = ""


def chosen_key(environ: dict[str, str] | None = None) -> str:
    """``SMM_GATEWAY_DEMO_KEY``, or "" when unset; `DemoError` when it cannot be a key."""
    environ = dict(os.environ) if environ is None else environ
    chosen = environ.get(DEMO_KEY_VARIABLE, "").strip()
    if chosen and len(chosen) < MIN_SECRET_LENGTH:
        raise DemoError(f"{DEMO_KEY_VARIABLE} needs at least {MIN_SECRET_LENGTH} characters")
    return chosen


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def bind(host: str, port: int) -> socket.socket:
    """The demo's listening socket, bound before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise DemoError(f"port {port} is in use; try --port") from None
        raise DemoError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def export_line(base: str, key: DemoKey) -> str:
    shown = f'"${DEMO_KEY_VARIABLE}"' if key.supplied else key.secret
    return f"export SMM_GATEWAY_URL={base} SMM_GATEWAY_KEY={shown}"


def banner(
    base: str, key: DemoKey, shop: Shop, data_dir: Path, panels: dict[str, SimulatorServer]
) -> str:
    shown = f"(from {DEMO_KEY_VARIABLE})" if key.supplied else key.secret
    panel_lines = "\n".join(
        f"  {name:<6} {p.url}  key {p.key}  ({p.profile.name}, {p.panel.currency})"
        for name, p in panels.items()
    )
    return f"""
smm-gateway demo is running: three simulated panels (alpha, beta, gamma) behind one gateway.

  GraphQL    {base}/graphql   (open it in a browser for GraphiQL)
  Console    {base}/console   (the operator's pages; sign in with the admin key)
  API v2     {base}/api/v2
  Health     {base}/healthz
  Admin key  {shown}
  Shop key   {shop.secret}  ({shop.summary()})
  Data       {data_dir}

The simulated panels (v2 panels of their own; try them with their keys):
{panel_lines}

For the operator commands, in another terminal (also in {data_dir / ENV_FILE}):
  {export_line(base, key)}
and for the client's side, the shop's key:
  {shop.export_line()}

Try:
  curl -s {base}/api/v2 -d key=$SMM_GATEWAY_KEY -d action=balance
  curl -s {base}/api/v2 -d key=$SHOP_KEY -d action=balance
  smm-gateway services search "instagram followers"

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
    """Run the demo until interrupted; `DemoError` when it cannot start."""
    import uvicorn

    from gateway.app import create_app

    chosen_key()  # a key that cannot be used fails before anything starts
    sock = bind(host, port)
    try:
        try:
            await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            raise DemoError(f"cannot keep the demo's data in {data_dir}: {exc.strerror}") from None
        fresh = {p.name for p in PANELS if not state_file(data_dir, p.name).exists()}
        with running_panels(data_dir=data_dir) as panels:
            loopback = ipaddress.ip_address(sock.getsockname()[0]).is_loopback
            settings = demo_settings(panels, data_dir, redis_url, loopback=loopback)
            gateway = await Gateway.open(settings, providers=demo_providers(panels, settings))
            try:
                await ids_past_the_ledger(gateway, panels, fresh)
                for result in await gateway.catalog.sync():
                    state = (
                        f"{result.services} services" if result.ok else f"failed: {result.error}"
                    )
                    say(f"  catalog: {result.provider}: {state}")
                key = await demo_key(gateway, data_dir)
                shop = await demo_shop(gateway, data_dir, _write_private)
                shown_host = f"[{host}]" if ":" in host else host  # an IPv6 address
                base = f"http://{shown_host}:{sock.getsockname()[1]}"
                exports = f"{export_line(base, key)}\n{shop.export_line()}\n"
                await asyncio.to_thread(_write_private, data_dir / ENV_FILE, exports)
                app = create_app(settings, gateway=gateway, settle_heap=True)
                server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
                say(banner(base, key, shop, data_dir, panels))
                await server.serve(sockets=[sock])
            finally:
                await gateway.aclose()
    finally:
        sock.close()
