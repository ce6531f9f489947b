"""Running the simulator for real, on loopback, from a test, the demo or a benchmark.

>>> with simulator(seed=1, profile="seed") as sim:  # doctest: +SKIP
...     httpx.post(sim.url, data={"key": sim.key, "action": "balance"}).json()
{'balance': '1000.00000', 'currency': 'USD'}

The server runs uvicorn in a background thread on a socket bound here (port 0 picks a free
port), so the address is known before the first call and nothing races for it.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Self

import uvicorn

from .accounts import DEFAULT_BALANCE
from .app import create_app
from .catalog import DEFAULT_SIZE, generate_services
from .clock import Clock, ScaledClock
from .faults import Fault, FaultPlan, parse_faults
from .profiles import SimProfile, get_profile
from .quality import QualityPlan, QualitySettings
from .state import Panel

STARTUP_TIMEOUT = 10.0


class SimulatorServer:
    """A simulated panel served over HTTP on `host`, usable as a (sync or async) context manager.

    ``url`` is the API URL (with the profile's path), ``base_url`` the server root (for the
    ``/_sim/`` controls), ``panel`` the state behind it.
    """

    def __init__(
        self,
        panel: Panel,
        profile: SimProfile | str = "seed",
        faults: FaultPlan | None = None,
        *,
        key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.panel = panel
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.faults = faults if faults is not None else FaultPlan(seed=panel.seed)
        self.key = key
        """The API key made for this server, if any."""
        self.host = host
        self.port = port
        self.app = create_app(panel, self.profile, self.faults)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._socket is None:
            raise RuntimeError("the simulator is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The API URL a client posts to, such as ``http://127.0.0.1:PORT/api/v2``."""
        return self.base_url + self.profile.path

    def start(self) -> None:
        """Bind, serve in a background thread, and return once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        # IPPROTO_TCP explicitly: asyncio only turns Nagle off (TCP_NODELAY) on sockets created
        # with it, and without that every answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # A timeout fault ends when its client leaves; this bounds the wait for one that stays.
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the simulator did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Ask the server to finish its calls and exit; wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None
        self._socket = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


def build_panel(
    *,
    seed: int = 0,
    services: int = DEFAULT_SIZE,
    profile: SimProfile,
    keys: Iterable[str] = (),
    currency: str = "USD",
    balance: Decimal = DEFAULT_BALANCE,
    clock: Clock | None = None,
    speed: float = 1.0,
    rate_limit: int | None = None,
    quality: QualityPlan | None = None,
) -> Panel:
    """A panel with a generated catalog, the profile's panel settings and `quality`."""
    return Panel(
        generate_services(seed=seed, size=services, currency=currency),
        clock=clock or ScaledClock(speed),
        seed=seed,
        currency=currency,
        keys=keys,
        balance=balance,
        rate_limit=rate_limit,
        duplicate_links=profile.duplicate_links,
        quality=quality,
    )


def simulator(
    *,
    seed: int = 0,
    services: int = DEFAULT_SIZE,
    profile: SimProfile | str = "seed",
    key: str | None = None,
    currency: str = "USD",
    balance: Decimal | str | int = DEFAULT_BALANCE,
    speed: float = 1.0,
    clock: Clock | None = None,
    latency_ms: float = 0.0,
    faults: Iterable[Fault] | str = (),
    rate_limit: int | None = None,
    quality: QualityPlan | QualitySettings | str | Mapping[int, QualitySettings] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SimulatorServer:
    """A ready-to-start simulator with one API key (`key`, or a generated one as ``.key``).

    `faults` is a list of `Fault` or a spec such as ``"add:drop:0.1,*:latency:200"``.
    `quality` is a `QualityPlan`, a quality profile's name (``"cheap_underdelivers"``),
    settings for every service, or overrides by integer service id of the default profile.
    """
    chosen = get_profile(profile) if isinstance(profile, str) else profile
    key = key or secrets.token_hex(16)
    panel = build_panel(
        seed=seed,
        services=services,
        profile=chosen,
        keys=[key],
        currency=currency,
        balance=Decimal(balance),
        clock=clock,
        speed=speed,
        rate_limit=rate_limit,
        quality=QualityPlan.of(quality),
    )
    rules = parse_faults(faults) if isinstance(faults, str) else list(faults)
    plan = FaultPlan(rules, seed=seed, latency_ms=latency_ms)
    return SimulatorServer(panel, chosen, plan, key=key, host=host, port=port)
