"""Injected faults end as the right typed error; reads retry, writes never; nothing hangs."""

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from providers.errors import (
    Ambiguous,
    AuthenticationError,
    RateLimited,
    Unavailable,
)
from providers.models import OrderRequest, ServiceType
from providers.profiles import PROFILES
from providers.simulator import Fault, FaultKind, ManualClock, SimulatorServer, simulator
from providers.v2 import RetryPolicy, V2Provider

RETRY = RetryPolicy(attempts=3, initial=0.01, maximum=0.05, max_retry_after=0.2)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with simulator(seed=3, services=60, clock=ManualClock()) as server:
        yield server


@pytest.fixture
async def adapter(sim: SimulatorServer) -> AsyncIterator[V2Provider]:
    async with V2Provider(
        "sim", sim.url, sim.key or "", retry=RETRY, timeout=1.0, calls_per_minute=100_000
    ) as provider:
        yield provider


def fault(sim: SimulatorServer, kind: FaultKind, action: str, count: int | None = None,
          **params: object) -> None:  # fmt: skip
    sim.faults.add(Fault(kind, actions=frozenset({action}), count=count, params=params))


async def an_order(adapter: V2Provider) -> OrderRequest:
    services = await adapter.services()
    service = next(s for s in services if s.type is ServiceType.DEFAULT)
    return OrderRequest(service=service.id, link="https://example.com/x", quantity=service.min)


READ_FAULTS = [
    (FaultKind.HTML, {}),
    (FaultKind.HTTP_5XX, {}),
    (FaultKind.MALFORMED, {}),
    (FaultKind.ERROR, {}),
    (FaultKind.THROTTLE, {"retry_after": 0.05}),
]


@pytest.mark.parametrize(("kind", "params"), READ_FAULTS)
async def test_reads_retry_past_a_transient_fault(
    sim: SimulatorServer, adapter: V2Provider, kind: FaultKind, params: dict[str, object]
) -> None:
    fault(sim, kind, "balance", count=1, **params)
    balance = await adapter.balance()
    assert balance.amount > 0
    assert sim.panel.calls["balance"] == 2


@pytest.mark.parametrize(
    ("kind", "error"),
    [(FaultKind.HTML, Unavailable), (FaultKind.HTTP_5XX, Unavailable),
     (FaultKind.MALFORMED, Unavailable), (FaultKind.ERROR, Unavailable),
     (FaultKind.THROTTLE, RateLimited)],
)  # fmt: skip
async def test_a_lasting_fault_ends_as_its_typed_error_after_bounded_retries(
    sim: SimulatorServer, adapter: V2Provider, kind: FaultKind, error: type[Exception]
) -> None:
    fault(sim, kind, "status", retry_after=0.05)
    result = await adapter.status(["1", "2"])
    assert all(isinstance(outcome, error) for outcome in result.values()), result
    assert sim.panel.calls["status"] == RETRY.attempts


@pytest.mark.parametrize(
    "kind", [FaultKind.HTML, FaultKind.HTTP_5XX, FaultKind.MALFORMED, FaultKind.ERROR,
             FaultKind.DROP],
)  # fmt: skip
async def test_add_after_sending_is_ambiguous_and_never_retried(
    sim: SimulatorServer, adapter: V2Provider, kind: FaultKind
) -> None:
    request = await an_order(adapter)
    fault(sim, kind, "add")
    with pytest.raises(Ambiguous) as caught:
        await adapter.add(request)
    assert caught.value.provider == "sim"
    assert sim.panel.calls["add"] == 1


async def test_dropped_add_was_placed_upstream(sim: SimulatorServer, adapter: V2Provider) -> None:
    request = await an_order(adapter)
    orders = sim.panel.order_count
    fault(sim, FaultKind.DROP, "add", count=1)
    with pytest.raises(Ambiguous):
        await adapter.add(request)
    assert sim.panel.order_count == orders + 1, "the order exists although the answer was lost"


async def test_throttled_add_is_rate_limited_and_not_placed(
    sim: SimulatorServer, adapter: V2Provider
) -> None:
    request = await an_order(adapter)
    fault(sim, FaultKind.THROTTLE, "add", retry_after=7)
    with pytest.raises(RateLimited) as caught:
        await adapter.add(request)
    assert caught.value.retry_after == 7
    assert caught.value.not_placed
    assert sim.panel.calls["add"] == 1


@pytest.mark.parametrize("action", ["refill", "cancel"])
async def test_other_writes_are_never_retried(
    sim: SimulatorServer, adapter: V2Provider, action: str
) -> None:
    fault(sim, FaultKind.HTTP_5XX, action)
    method = adapter.refill if action == "refill" else adapter.cancel
    result = await method(["1", "2"])
    assert all(isinstance(outcome, Ambiguous) for outcome in result.values()), result
    assert sim.panel.calls[action] == 1


async def test_a_hanging_panel_times_out(sim: SimulatorServer) -> None:
    # The panel would answer after 30 s: only the adapter's own timeout can end these calls
    # with "timed out", each read try once (then retried), the write once (never retried).
    fault(sim, FaultKind.TIMEOUT, "add", seconds=30)
    fault(sim, FaultKind.TIMEOUT, "balance", seconds=30)
    async with V2Provider("sim", sim.url, sim.key or "", timeout=0.3, retry=RETRY,
                          calls_per_minute=100_000) as adapter:  # fmt: skip
        with pytest.raises(Unavailable, match="timed out"):
            await adapter.balance()
        request = OrderRequest(service="1", link="https://example.com/x", quantity=100)
        with pytest.raises(Ambiguous, match="timed out"):
            await adapter.add(request)
    assert sim.panel.calls["balance"] == RETRY.attempts
    assert sim.panel.calls["add"] == 1
    assert sim.panel.order_count == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connection_proves_the_add_was_not_placed() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/v2"
    async with V2Provider("gone", url, "k", retry=RETRY) as adapter:
        with pytest.raises(Unavailable) as caught:
            await adapter.add(OrderRequest(service="1", link="https://x.com/a", quantity=10))
    assert caught.value.not_placed


async def test_get_v1_bad_key_is_http_401() -> None:
    with simulator(seed=1, services=20, profile="get_v1") as sim:
        async with V2Provider("v1", sim.url, "wrong", profile=PROFILES["get_v1"],
                              retry=RETRY) as adapter:  # fmt: skip
            with pytest.raises(AuthenticationError):
                await adapter.balance()
        assert sim.panel.calls["balance"] <= 1, "authentication failures are not retried"


async def test_secrets_stay_out_of_errors_and_reprs(sim: SimulatorServer) -> None:
    secret = sim.key or ""
    fault(sim, FaultKind.HTTP_5XX, "balance")
    async with V2Provider("sim", sim.url, secret, profile=PROFILES["seed"], retry=RETRY) as p:
        with pytest.raises(Unavailable) as caught:
            await p.balance()
        assert secret not in repr(p)
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value)
        assert caught.value.__cause__ is None


async def test_client_side_rate_limit_holds_calls_back(sim: SimulatorServer) -> None:
    async with (
        # 4 calls a minute, of which reads may take 3: a share stays for writes.
        V2Provider("sim", sim.url, sim.key or "", calls_per_minute=4, retry=RETRY) as p,
        V2Provider("other", sim.url, sim.key or "", calls_per_minute=100_000) as other,
    ):
        for _ in range(3):
            await p.balance()
        # The fourth call in the same minute waits for the bucket instead of reaching the panel:
        # it was sent first, yet three calls of an unlimited client get there and back before it.
        fourth = asyncio.create_task(p.balance())
        for _ in range(3):
            await other.balance()
        assert not fourth.done()
        assert sim.panel.calls["balance"] == 6
        fourth.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fourth
    assert sim.panel.calls["balance"] == 6
