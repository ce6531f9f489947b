"""``python -m providers.simulator``: serve a simulated panel until interrupted.

python -m providers.simulator --port 9001 --profile sloppy --seed 3 --faults "add:drop:0.1"
python -m providers.simulator --port 9002 --quality cheap_underdelivers \
    --quality-service "1234:partial_rate=0.9,refund_partial=keep"
"""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .catalog import DEFAULT_SIZE, generate_services
from .faults import FaultPlan, parse_faults
from .profiles import PROFILES, SimProfile, get_profile
from .quality import QUALITY_PROFILES, QualityPlan, QualitySettings, parse_override
from .render import Renderer
from .server import build_panel


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}") from None


def _faults(text: str) -> str:
    try:
        parse_faults(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _override(text: str) -> tuple[str, QualitySettings]:
    try:
        return parse_override(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def quality_plan(options: argparse.Namespace, profile: SimProfile) -> QualityPlan:
    """The quality plan of parsed options; service ids as the profile lists them, or integers.

    `ValueError` for an id the panel's catalog does not list.
    """
    codec = Renderer(profile, salt=str(options.seed)).service_ids
    listed = {s.id for s in generate_services(options.seed, options.services, options.currency)}
    services: dict[int, QualitySettings] = {}
    for text, settings in options.quality_service:
        service_id = codec.decode(text)
        if service_id is None and text.isascii() and text.isdigit() and len(text) < 20:
            service_id = int(text)
        if service_id is None or service_id not in listed:
            raise ValueError(f"not a service id of this panel: {text!r}")
        services[service_id] = settings
    return QualityPlan(options.quality, services=services)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to 65535; 0: any free one)")
    return port


def parser(
    kind: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """The command line of the simulator, parsed by a `kind` of parser (one that reports its
    errors its own way, for a command that wraps this one)."""
    p = kind(
        prog="python -m providers.simulator",
        description="Serve a simulated SMM panel speaking the v2 API.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=9001, help="port to listen on (9001)")
    p.add_argument("--key", help="API key to accept (generated and printed if omitted)")
    p.add_argument("--profile", default="seed", choices=sorted(PROFILES), help="panel dialect")
    p.add_argument("--seed", type=int, default=0, help="seed of catalog, prices and outcomes")
    p.add_argument("--services", type=int, default=DEFAULT_SIZE, help="catalog size (300)")
    p.add_argument("--latency", type=float, default=0.0, metavar="MS", help="added to each call")
    p.add_argument(
        "--faults",
        type=_faults,
        default="",
        metavar="SPEC",
        help='fault rules, e.g. "add:drop:0.1,status:5xx:0.05,*:latency:200"',
    )
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    p.add_argument("--currency", default="USD", help="panel currency (USD)")
    p.add_argument("--balance", type=_decimal, default=Decimal(1000), help="starting balance")
    p.add_argument("--rate-limit", type=int, default=None, help="calls a minute a key")
    p.add_argument(
        "--quality",
        default="default",
        choices=sorted(QUALITY_PROFILES),
        help="how services deliver (partials, delays, speed, refunds, refills, drops)",
    )
    p.add_argument(
        "--quality-service",
        type=_override,
        action="append",
        default=[],
        metavar="ID:NAME=VALUE,...",
        help='one service\'s quality, e.g. "1234:partial_rate=0.5,refund_partial=keep"',
    )
    return p


def build_app(options: argparse.Namespace) -> Starlette:
    """The simulator app for parsed options (`options.key` must be set)."""
    profile = get_profile(options.profile)
    panel = build_panel(
        seed=options.seed,
        services=options.services,
        profile=profile,
        keys=[options.key],
        currency=options.currency,
        balance=options.balance,
        speed=options.speed,
        rate_limit=options.rate_limit,
        quality=quality_plan(options, profile),
    )
    plan = FaultPlan(parse_faults(options.faults), seed=options.seed, latency_ms=options.latency)
    return create_app(panel, profile, plan)


def parse_args(
    argv: list[str] | None = None, kind: type[argparse.ArgumentParser] = argparse.ArgumentParser
) -> argparse.Namespace:
    """Parse `argv` with a `kind` of parser, generating a key if none was given."""
    options = parser(kind).parse_args(argv)
    if options.services < 0 or options.speed <= 0 or options.latency < 0:
        parser(kind).error("--services and --latency must be >= 0, --speed > 0")
    try:
        quality_plan(options, get_profile(options.profile))
    except ValueError as error:
        parser(kind).error(f"--quality-service: {error}")
    options.key = options.key or secrets.token_hex(16)
    return options


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def main(
    argv: list[str] | None = None,
    kind: type[argparse.ArgumentParser] = argparse.ArgumentParser,
    complain: Callable[[str], None] = _stderr,
) -> int:
    """Run the simulator until interrupted; returns the exit status. Its arguments are parsed
    by a `kind` of parser, and a port it cannot listen on is told to `complain`."""
    options = parse_args(argv, kind)
    app = build_app(options)
    # Bind first, so ``--port 0`` prints the port actually chosen.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as error:
        sock.close()
        complain(f"cannot listen on {options.host}:{options.port}: {error}")
        return 1
    # Listening before the banner lets a caller connect as soon as it reads the URL.
    sock.listen(2048)
    port = sock.getsockname()[1]
    path = get_profile(options.profile).path
    print(f"Simulated panel ({options.profile}) at http://{options.host}:{port}{path}")
    print(f"API key: {options.key}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
