"""What the operator commands share: opening the core from a configuration file."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from gateway.cli.ledger import open_gateway
from gateway.cli.output import warn
from gateway.cli.redis_check import redis_problem
from gateway.config import ConfigError, Settings, load_config
from gateway.core import Gateway

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", envvar="SMM_GATEWAY_CONFIG", help="The TOML configuration."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


NOTHING_TO_ASK = (
    "no gateway to ask: give --url URL --key KEY for a running one (the demo prints both; or "
    "set SMM_GATEWAY_URL and SMM_GATEWAY_KEY), or --config FILE for its configuration"
)
REMOTE_ONLY = (
    "no gateway to ask: give --url URL --key KEY of a running one (the demo prints both; or "
    "set SMM_GATEWAY_URL and SMM_GATEWAY_KEY)"
)
LOCAL_ONLY = (
    "this command reads the ledger and the panels itself, not a running gateway (SMM_GATEWAY_URL "
    "is not enough): give --config FILE, or set SMM_GATEWAY_CONFIG"
)
_LEDGER_VARIABLES = ("DATABASE_URL", "SMM_GATEWAY_GATEWAY__DATABASE_URL")


NO_CONFIGURATION = (
    "no configuration: give --config FILE (or set SMM_GATEWAY_CONFIG, or DATABASE_URL for the "
    "ledger alone); `smm-gateway demo` runs one of its own"
)


def local_settings(config: Path | None, *, remote_mode: bool = True) -> Settings:
    """The settings of `config`; without a file or a database in the environment, a one-line
    `ConfigError` (rather than a new, empty ``./smm-gateway.db`` nobody serves). A command
    with a ``--url`` mode (`remote_mode`) never gets here with one, so a gateway URL in the
    environment means a command that has none."""
    if config is None and not any(os.environ.get(v) for v in _LEDGER_VARIABLES):
        if os.environ.get("SMM_GATEWAY_URL"):
            raise ConfigError(LOCAL_ONLY)
        raise ConfigError(NOTHING_TO_ASK if remote_mode else NO_CONFIGURATION)
    return load_config(config)


def remote_url(url: str | None) -> str:
    """`url` of a command that only asks a running gateway; without one, a one-line
    `ConfigError` (rather than a guessed address)."""
    if not url:
        raise ConfigError(REMOTE_ONLY)
    return url


@contextlib.asynccontextmanager
async def opened(config: Path | None) -> AsyncIterator[Gateway]:
    """The gateway core of `config`, for the length of one command."""
    settings = local_settings(config)
    if settings.gateway.redis_url:
        problem = await redis_problem(settings.gateway.redis_url)
        if problem:  # Redis is optional: say so once rather than warn at every attempt
            warn(f"{problem}; this command goes on without it")
            without = settings.gateway.model_copy(update={"redis_url": None})
            settings = settings.model_copy(update={"gateway": without})
    gateway = await open_gateway(settings)
    try:
        yield gateway
    finally:
        await gateway.aclose()


def with_gateway(config: Path | None, work: Callable[[Gateway], Awaitable[T]]) -> T:
    async def run() -> T:
        async with opened(config) as gateway:
            return await work(gateway)

    return asyncio.run(run())
