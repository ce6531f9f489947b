"""The processes a throughput run measures: the simulated panel (``python -m
providers.simulator``), a ledger prepared with an operator key and a funded client account, and
the gateway as ``smm-gateway serve`` runs it on a configuration of its own, in front of the panel.

::

    with ExitStack() as stack:
        panel_port, panel_key, panel_pid = start_panel(stack, workdir, latency_ms=20)
        operator, client = await prepare(database_url)
        gateway_config(workdir / "gateway.toml", database_url, None, panel_port, [])
        port, pid = start_gateway(stack, workdir, workdir / "gateway.toml", panel_key, None)
        service = await chosen_service(port, operator)
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench.processes import free_port, process, toml, wait_for
from gateway.accounts.pricing import PriceList
from gateway.store import Store


def start_panel(stack: ExitStack, workdir: Path, latency_ms: float) -> tuple[int, str, int]:
    """A panel process; its port, key and pid."""
    port, key = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "providers.simulator", "--port", str(port), "--key", key,
               "--latency", f"{latency_ms:g}", "--balance", "1000000000"]  # fmt: skip
    log = workdir / "panel.log"
    pid = stack.enter_context(process(command, log))
    wait_for(log, "API key:")
    return port, key, pid


async def prepare(database_url: str) -> tuple[str, str]:
    """The ledger migrated, an operator key and a funded client account's key (secrets)."""
    store = await Store.connect(database_url)
    try:
        await store.migrate()
        _, operator = await store.create_api_key("bench operator", "bench", ["order"])
        prices = PriceList(markup_percent=Decimal(20)).model_dump(mode="json")
        account = await store.create_account("bench-shop", currency="USD", price_list=prices)
        await store.top_up(account.id, Decimal(10) ** 9, reason="bench funds")
        _, client = await store.create_api_key(
            "bench shop", "shop", ["order"], account_id=account.id
        )
    finally:
        await store.aclose()
    return operator, client


def gateway_config(
    path: Path, database_url: str, redis_url: str | None, panel: int, settings: list[str]
) -> None:
    """The gateway's configuration; `settings` are ``section.name=value`` overrides."""
    unlimited = "1000000/second"
    namespace = f"bench-tp-{secrets.token_hex(4)}"
    sections: dict[str, dict[str, object]] = {
        "gateway": {"database_url": database_url, "cache_namespace": namespace},
        "limits": {"per_key": unlimited, "anonymous": unlimited},
    }
    if redis_url:
        sections["gateway"]["redis_url"] = redis_url
    for setting in settings:
        name, _, value = setting.partition("=")
        section, _, field = name.partition(".")
        parsed: object = {"true": True, "false": False}.get(value, value)
        sections.setdefault(section, {})[field] = int(value) if value.isdigit() else parsed
    # The panel's own limits are none: the gateway may call it as often as the load asks.
    provider = {"name": "panel", "kind": "simulator", "url": f"http://127.0.0.1:{panel}/api/v2",
                "key_env": "BENCH_PANEL_KEY", "calls_per_minute": 1_000_000,
                "concurrency": 64}  # fmt: skip
    path.write_text(toml(sections, {"providers": provider}))


def start_gateway(
    stack: ExitStack,
    workdir: Path,
    config: Path,
    panel_key: str,
    serve_with: str | None,
    workers: int = 1,
) -> tuple[int, int]:
    """``smm-gateway serve`` on `config` with `workers` serving processes; its port and pid."""
    port = free_port()
    cli = [str(Path(sys.executable).parent / "smm-gateway")]
    if serve_with:
        cli = [sys.executable, "-m", serve_with]
    command = [*cli, "serve", "--config", str(config), "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {**os.environ, "BENCH_PANEL_KEY": panel_key}
    env.pop("DATABASE_URL", None), env.pop("REDIS_URL", None)
    pid = stack.enter_context(process(command, workdir / "gateway.log", env))
    wait_for(workdir / "gateway.log", "Application startup complete")
    return port, pid


async def chosen_service(port: int, key: str) -> dict[str, Any]:
    """The cheapest default-type service of the gateway's catalog, once it is synced."""
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(600):
            answer = await http.post(
                f"http://127.0.0.1:{port}/api/v2", data={"key": key, "action": "services"}
            )
            listed = answer.json()
            if isinstance(listed, list) and listed:
                defaults = [s for s in listed if s["type"] == "Default"]
                return min(defaults, key=lambda s: (Decimal(s["rate"]), int(s["service"])))
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the gateway's catalog stayed empty: {answer.text[:300]}")
