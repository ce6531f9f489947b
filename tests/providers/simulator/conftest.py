"""Fixtures: a seed-profile simulator on loopback with a manual clock, a client for it, and
hand-made services for state-machine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import httpx
import pytest

from providers.models import ServiceType
from providers.simulator import ManualClock, SimService, SimulatorServer, simulator

KEY = "test-key"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A running seed-profile simulator (key ``sim.key``) whose time moves only when told."""
    with simulator(seed=1, key=KEY, clock=ManualClock()) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


@pytest.fixture
def call(sim: SimulatorServer, client: httpx.Client) -> Callable[..., httpx.Response]:
    """Post form fields to `sim` with its key: ``call(action="balance")``."""

    def post(**fields: object) -> httpx.Response:
        data = {"key": KEY, **{name: str(value) for name, value in fields.items()}}
        return client.post(sim.url, data=data)

    return post


@pytest.fixture
def default_service(sim: SimulatorServer) -> Callable[..., SimService]:
    """``default_service(refill=True)``: the first Default service of `sim` with those flags."""

    def find(**wanted: object) -> SimService:
        for service in sim.panel.services:
            if service.type is ServiceType.DEFAULT and all(
                getattr(service, name) == value for name, value in wanted.items()
            ):
                return service
        raise LookupError(f"no Default service with {wanted}")

    return find


def _service(
    service_id: int = 1,
    *,
    type: ServiceType = ServiceType.DEFAULT,
    rate: str = "0.90",
    min: int = 10,
    max: int = 10_000,
    refill: bool = True,
    cancel: bool = True,
    dripfeed: bool = True,
    start_delay: float = 60.0,
    speed: float = 10.0,
    partial_probability: float = 0.0,
) -> SimService:
    return SimService(
        id=service_id,
        name=f"Test {type.value} {service_id}",
        type=type,
        category="Test",
        rate=Decimal(rate),
        min=min,
        max=max,
        refill=refill,
        cancel=cancel,
        dripfeed=dripfeed,
        start_delay=start_delay,
        speed=speed,
        partial_probability=partial_probability,
    )


@pytest.fixture
def make_service() -> Callable[..., SimService]:
    """A factory of hand-made services whose behaviour a test controls."""
    return _service
