"""Commands that run things: serve, demo, simulate, migrate."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli.choices import PortOption
from gateway.cli.common import ConfigOption, local_settings
from gateway.cli.ledger import check_ledger, connect_store, open_gateway
from gateway.cli.output import console, fail, note, warn
from gateway.cli.redis_check import check_redis
from gateway.config import ConfigError

if TYPE_CHECKING:
    from gateway.config import Settings


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
    app.command()(demo)
    app.command()(migrate)
    app.command(
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(simulate)


def serve(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: PortOption = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes of the web server.")] = 1,
) -> None:
    """Serve the gateway (GraphQL, /api/v2, webhooks, health).

    Background jobs (status sync, refreshes, deliveries) run in this process unless the
    configuration sets workers.in_process = false, for separate `smm-gateway worker` processes.
    On start it says which, and what is counted per process when no Redis is configured.
    """
    import uvicorn

    from gateway import logs, serving

    # Fail here, in one clear line, not in a server process (nor on a stray ./smm-gateway.db).
    settings = local_settings(config, remote_mode=False)
    check_port(host, port)
    check_ledger(settings)
    if not settings.providers:
        warn(
            "no providers configured ([[providers]] in the configuration file): the catalog "
            "is empty and /readyz says 'no provider configured'"
        )
    for line in fleet_notes(settings, workers):
        note(line)
    if config is not None:
        os.environ["SMM_GATEWAY_CONFIG"] = str(config)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C / SIGINT is a normal stop
        uvicorn.run(
            "gateway.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            # uvloop and httptools when installed (dependencies), asyncio and h11 otherwise.
            **serving.uvicorn_options(),  # type: ignore[arg-type]
            # Its access formatter also writes the line saying how many refused requests'
            # lines were left out (`logs.AccessThrottle`).
            log_config=logs.uvicorn_log_config(),
        )


def check_port(host: str, port: int) -> None:
    """Fail in one line when `host`:`port` cannot be listened on, before the server starts
    its application (which would only then find the port taken)."""
    from gateway.demo import DemoError, bind

    try:
        bind(host, port).close()
    except DemoError as exc:
        raise ConfigError(str(exc)) from None


def fleet_notes(settings: Settings, processes: int = 1) -> list[str]:
    """What `serve` says before it starts, from its configuration: where the background jobs
    run, and what is counted per process without Redis (README, "Running a fleet")."""
    notes = [
        "background jobs (status sync, refreshes, deliveries) run in this process"
        if settings.workers.in_process
        else "background jobs are left to `smm-gateway worker` processes (workers.in_process = "
        "false)"
    ]
    if not settings.gateway.redis_url:
        each = f" (each of the {processes} server processes on its own)" if processes > 1 else ""
        notes.append(
            "no Redis configured: provider limits, request limits and caches are counted per "
            f"process{each}"
        )
    return notes


def worker(config: ConfigOption = None) -> None:
    """A worker process: status sync, refresh and delivery jobs, shared through Redis with any
    number of others. Stops gracefully on SIGTERM."""
    import logging

    from gateway import heap, logs
    from gateway.workers.inprocess import webhook_delivery
    from gateway.workers.queue import run_worker

    settings = local_settings(config, remote_mode=False)
    if not settings.gateway.redis_url:
        raise ValueError("worker processes coordinate through Redis: set REDIS_URL")
    check_redis(settings.gateway.redis_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("saq").setLevel(logging.WARNING)
    logs.install()

    async def run() -> None:
        async with await open_gateway(settings) as gw, webhook_delivery(gw) as (sinks, jobs):
            heap.settle()
            await run_worker(gw, extra=jobs, sinks=sinks)

    asyncio.run(run())


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: PortOption = 8080,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir", help="Where the demo keeps its ledger, its panels' orders and its key."
        ),
    ] = Path(".smm-gateway-demo"),
) -> None:
    """The gateway on three simulated panels, SQLite and in-process workers: nothing to set up.

    Uses Redis when REDIS_URL is set. The admin key is made on the first start, kept in the data
    folder and printed, or comes from SMM_GATEWAY_DEMO_KEY (never printed). A restart on the same
    folder goes on where it stopped.
    """
    from gateway import serving
    from gateway.demo import DemoError, serve_demo

    # Plain echo, not the rich console: the banner's commands must not be wrapped.
    redis_url = os.environ.get("REDIS_URL")
    # Ctrl-C is how the demo stops: a clean exit, not an interruption.
    with contextlib.suppress(KeyboardInterrupt):
        try:
            # On uvloop's event loop when installed, as `serve` runs; uvicorn picks httptools.
            serving.run(serve_demo(host, port, data_dir, redis_url=redis_url, say=typer.echo))
        except DemoError as exc:
            fail(str(exc))
            raise typer.Exit(1) from None


def migrate(config: ConfigOption = None) -> None:
    """Apply the ledger's migrations (they also run on start)."""
    settings = local_settings(config, remote_mode=False)

    async def run() -> None:
        store = await connect_store(settings.gateway.database_url)
        await store.aclose()

    asyncio.run(run())
    console.print("migrations applied")


def simulate(ctx: typer.Context) -> None:
    """Run a simulated v2 panel: --port PORT [--profile NAME --seed N --services N --latency MS
    --faults SPEC --key KEY]; --help for all options."""
    from gateway.cli.usage import OneLineParser
    from providers.simulator.__main__ import main as simulator_main

    raise typer.Exit(simulator_main(list(ctx.args), OneLineParser, fail))
