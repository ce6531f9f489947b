"""What the operator commands share: opening the core from a configuration file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from gateway.config import load_config
from gateway.core import Gateway

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", envvar="SMM_GATEWAY_CONFIG", help="The TOML configuration."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@contextlib.asynccontextmanager
async def opened(config: Path | None) -> AsyncIterator[Gateway]:
    """The gateway core of `config`, for the length of one command."""
    gateway = await Gateway.open(load_config(config))
    try:
        yield gateway
    finally:
        await gateway.aclose()


def with_gateway(config: Path | None, work: Callable[[Gateway], Awaitable[T]]) -> T:
    async def run() -> T:
        async with opened(config) as gateway:
            return await work(gateway)

    return asyncio.run(run())
