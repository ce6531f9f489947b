"""What an `add` answer proves: only known refusals say "not placed", anything else is
`Ambiguous`; redirects are never followed; `before_send` runs once the call has its turn."""

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from providers.errors import (
    Ambiguous,
    InsufficientFunds,
    InvalidQuantity,
    InvalidService,
    ProviderError,
    Unavailable,
)
from providers.models import OrderRequest, ServiceType
from providers.simulator import Fault, FaultKind, ManualClock, SimulatorServer, simulator
from providers.v2 import RetryPolicy, V2Provider

RETRY = RetryPolicy(attempts=2, initial=0.01, maximum=0.05)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with simulator(seed=5, services=60, clock=ManualClock()) as server:
        yield server


@pytest.fixture
async def adapter(sim: SimulatorServer) -> AsyncIterator[V2Provider]:
    async with V2Provider(
        "sim", sim.url, sim.key or "", retry=RETRY, timeout=10.0, calls_per_minute=100_000
    ) as provider:
        yield provider


def fail_add(sim: SimulatorServer, kind: FaultKind, **params: object) -> None:
    sim.faults.add(Fault(kind, actions=frozenset({"add"}), count=1, params=params))


async def an_order(adapter: V2Provider) -> OrderRequest:
    services = await adapter.services()
    service = next(s for s in services if s.type is ServiceType.DEFAULT)
    return OrderRequest(service=service.id, link="https://example.com/x", quantity=service.min)


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (200, "Order could not be processed"),  # a text no table knows, on a panel that placed it
        (409, "Conflict"),
        (404, "Not found"),  # "not found" means an unknown id for a read; for an add, nothing
        (418, "I am a teapot"),
    ],
)
async def test_an_answer_to_add_that_proves_nothing_is_ambiguous(
    sim: SimulatorServer, adapter: V2Provider, status: int, text: str
) -> None:
    request = await an_order(adapter)
    fail_add(sim, FaultKind.ERROR, status=status, text=text, process="true")
    with pytest.raises(Ambiguous) as raised:
        await adapter.add(request)
    assert not raised.value.not_placed
    assert text in raised.value.message, "the panel's words are kept"
    assert sim.panel.order_count == 1, "such an answer may come from a panel that placed it"


@pytest.mark.parametrize(
    ("status", "text", "error"),
    [
        (200, "Not enough funds on balance", InsufficientFunds),
        (400, "Incorrect service ID", InvalidService),
        (422, "Quantity less than minimal 5000", InvalidQuantity),
    ],
)
async def test_a_known_refusal_of_add_still_proves_it_was_not_placed(
    sim: SimulatorServer,
    adapter: V2Provider,
    status: int,
    text: str,
    error: type[ProviderError],
) -> None:
    request = await an_order(adapter)
    fail_add(sim, FaultKind.ERROR, status=status, text=text)
    with pytest.raises(error) as raised:
        await adapter.add(request)
    assert raised.value.not_placed
    assert raised.value.message == text


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_never_followed_and_proves_add_was_not_placed(
    sim: SimulatorServer, adapter: V2Provider, status: int
) -> None:
    request = await an_order(adapter)
    with simulator(seed=6, services=10, clock=ManualClock()) as elsewhere:
        fail_add(sim, FaultKind.REDIRECT, status=status, location=elsewhere.url)
        with pytest.raises(Unavailable) as raised:
            await adapter.add(request)
        sim.faults.add(Fault(FaultKind.REDIRECT, actions=frozenset({"balance"}),
                             params={"status": status, "location": elsewhere.url}))  # fmt: skip
        with pytest.raises(Unavailable):
            await adapter.balance()
        assert sum(elsewhere.panel.calls.values()) == 0, "the key never went to another host"
        assert elsewhere.url not in raised.value.message
    assert raised.value.not_placed
    assert f"HTTP {status}" in raised.value.message
    assert sim.panel.order_count == 0


async def test_before_send_runs_once_the_call_has_its_turn(sim: SimulatorServer) -> None:
    async with V2Provider(
        "sim", sim.url, sim.key or "", timeout=10.0, calls_per_minute=100_000, concurrency=1
    ) as one_at_a_time:
        request = await an_order(one_at_a_time)
        in_flight = asyncio.Event()

        async def first_leaves() -> None:
            in_flight.set()

        sim.faults.add(Fault(FaultKind.LATENCY, actions=frozenset({"add"}), count=1,
                             params={"ms": 300}))  # fmt: skip
        first = asyncio.create_task(one_at_a_time.add(request, before_send=first_leaves))
        await in_flight.wait()
        seen: list[bool] = []

        async def second_leaves() -> None:
            seen.append(first.done())

        second = await one_at_a_time.add(request, before_send=second_leaves)
        assert seen == [True], "the hook waited for the only slot, held by the first call"
        assert (await first).order != second.order


async def test_a_failing_before_send_sends_nothing(
    sim: SimulatorServer, adapter: V2Provider
) -> None:
    request = await an_order(adapter)

    class Refused(Exception):
        pass

    async def refuse() -> None:
        raise Refused

    with pytest.raises(Refused):
        await adapter.add(request, before_send=refuse)
    assert sim.panel.calls["add"] == 0
    placed = await adapter.add(request)
    assert placed.order, "the slot was given back"


def test_importing_the_library_leaves_logging_levels_alone() -> None:
    code = "import logging, providers.v2; print(logging.getLogger('httpx').level)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"
