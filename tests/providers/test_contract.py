"""One contract suite: the v2 adapter against the simulator, under every quirk profile, over
real HTTP on loopback."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from providers.base import Provider
from providers.errors import (
    AuthenticationError,
    InsufficientFunds,
    InvalidLink,
    InvalidQuantity,
    InvalidService,
    NotFound,
    NotSupported,
    ProviderError,
)
from providers.models import (
    Balance,
    CancelResult,
    OrderRequest,
    OrderState,
    OrderStatus,
    Refill,
    RefillState,
    RefillStatus,
    Service,
    ServiceType,
)
from providers.profiles import PROFILES
from providers.simulator import ManualClock, SimulatorServer, simulator
from providers.v2 import RetryPolicy, V2Provider
from tests.providers.requests import request_for

PROFILE_NAMES = ["seed", "sloppy", "get_v1", "json"]
FAST_RETRY = RetryPolicy(attempts=2, initial=0.01, maximum=0.05)


@dataclass
class Panel:
    sim: SimulatorServer
    profile: str

    def adapter(self, key: str | None = None) -> V2Provider:
        return V2Provider(
            f"sim-{self.profile}",
            self.sim.url,
            key or self.sim.key or "",
            profile=PROFILES[self.profile],
            calls_per_minute=1_000_000,
            retry=FAST_RETRY,
            timeout=5.0,
        )

    def calls(self, action: str) -> int:
        return self.sim.panel.calls[action]


@pytest.fixture(scope="module", params=PROFILE_NAMES)
def panel(request: pytest.FixtureRequest) -> Iterator[Panel]:
    # A manual clock: orders move only when a test advances time.
    with simulator(seed=7, profile=request.param, balance="100000", clock=ManualClock()) as sim:
        yield Panel(sim, request.param)


@pytest.fixture
async def provider(panel: Panel) -> AsyncIterator[Provider]:
    async with panel.adapter() as adapter:
        yield adapter


async def first_of(provider: Provider, kind: ServiceType, **flags: bool) -> Service:
    for service in await provider.services():
        if service.type is kind and all(getattr(service, k) == v for k, v in flags.items()):
            return service
    raise AssertionError(f"the simulator has no {kind.value} service with {flags}")


async def place(provider: Provider, service: Service, count: int, start: int = 0) -> list[str]:
    return [(await provider.add(request_for(service, start + i))).order for i in range(count)]


async def test_service_list(provider: Provider) -> None:
    services = await provider.services()
    assert len(services) == 300
    assert {s.type for s in services} == set(ServiceType) - {ServiceType.UNKNOWN}
    for service in services:
        assert isinstance(service.rate.amount, Decimal)
        assert service.rate.currency == "USD"
        assert 0 < service.min <= service.max
        assert service.name
    assert len({s.id for s in services}) == len(services)


async def test_balance(provider: Provider) -> None:
    balance = await provider.balance()
    assert isinstance(balance, Balance)
    assert isinstance(balance.amount, Decimal)
    assert balance.currency == "USD"


@pytest.mark.parametrize("kind", sorted(set(ServiceType) - {ServiceType.UNKNOWN}))
async def test_every_service_type_is_placed_and_tracked(
    provider: Provider, panel: Panel, kind: ServiceType
) -> None:
    service = await first_of(provider, kind)
    before = await provider.balance()
    placed = await provider.add(request_for(service, list(ServiceType).index(kind)))
    status = (await provider.status([placed.order]))[placed.order]
    assert isinstance(status, OrderStatus), status
    assert status.order == placed.order
    assert status.state in (OrderState.PENDING, OrderState.IN_PROGRESS)
    assert status.charge is not None
    assert status.charge.amount > 0
    after = await provider.balance()
    assert before.amount - after.amount == status.charge.amount


async def test_drip_feed_order_charges_every_run(provider: Provider) -> None:
    services = [s for s in await provider.services() if s.type is ServiceType.DEFAULT]
    for n, service in enumerate(services):
        request = request_for(service, 4242 + n, dripfeed=True)
        try:
            placed = await provider.add(request)
        except NotSupported:
            continue  # most panels don't list which services drip-feed; they refuse instead
        status = (await provider.status([placed.order]))[placed.order]
        assert isinstance(status, OrderStatus)
        assert status.charge is not None
        assert status.charge.amount == service.cost(request).amount
        assert request.runs is not None
        assert status.charge.amount == service.rate.amount * request.units * request.runs / 1000
        return
    raise AssertionError("no service accepted a drip-feed order")


@pytest.mark.parametrize("size", [0, 1, 100, 101, 250])
async def test_status_batches_any_number_of_ids(
    provider: Provider, panel: Panel, size: int
) -> None:
    service = await first_of(provider, ServiceType.DEFAULT)
    real = await place(provider, service, max(0, size - 3), start=size * 1000)
    bad = ["999999999", "nope", "ord_missing"][: min(3, size)]
    ids = real + bad
    calls = panel.calls("status")
    result = await provider.status(ids)
    assert list(result) == ids
    for order_id in real:
        status = result[order_id]
        assert isinstance(status, OrderStatus), status
        assert not status.state.final
    for order_id in bad:
        missing = result[order_id]
        assert isinstance(missing, NotFound), missing
        assert missing.provider == f"sim-{panel.profile}"
    assert panel.calls("status") - calls == -(-size // 100)


async def test_statuses_follow_the_orders_progress(provider: Provider, panel: Panel) -> None:
    service = await first_of(provider, ServiceType.DEFAULT)
    ids = await place(provider, service, 20, start=50_000)
    panel.sim.panel.advance(7 * 24 * 3600)
    result = await provider.status(ids)
    states = {r.state for r in result.values() if isinstance(r, OrderStatus)}
    assert states <= {OrderState.COMPLETED, OrderState.PARTIAL}
    assert OrderState.COMPLETED in states
    for outcome in result.values():
        assert isinstance(outcome, OrderStatus)
        assert outcome.remains is not None
        assert (outcome.remains == 0) == (outcome.state is OrderState.COMPLETED)


@pytest.mark.parametrize("size", [1, 101])
async def test_refills_and_their_statuses(provider: Provider, panel: Panel, size: int) -> None:
    service = await first_of(provider, ServiceType.DEFAULT, refill=True)
    ids = await place(provider, service, size, start=60_000 + size)
    panel.sim.panel.advance(7 * 24 * 3600)
    result = await provider.refill([*ids, "999999999"])
    assert isinstance(result["999999999"], NotFound)
    refills = [r for r in result.values() if isinstance(r, Refill)]
    assert len(refills) == size, [r for r in result.values() if not isinstance(r, Refill)]
    refill_ids = [r.refill for r in refills]
    statuses = await provider.refill_status([*refill_ids, "888888888"])
    assert isinstance(statuses["888888888"], NotFound)
    for refill_id in refill_ids:
        status = statuses[refill_id]
        assert isinstance(status, RefillStatus), status
        assert status.state is not RefillState.UNKNOWN
        assert status.raw_status


async def test_refill_of_a_service_without_refill_is_refused(provider: Provider,
                                                             panel: Panel) -> None:  # fmt: skip
    service = await first_of(provider, ServiceType.DEFAULT, refill=False)
    [order_id] = await place(provider, service, 1, start=70_000)
    panel.sim.panel.advance(7 * 24 * 3600)
    outcome = (await provider.refill([order_id]))[order_id]
    assert isinstance(outcome, NotSupported), outcome


@pytest.mark.parametrize("size", [1, 3, 101])
async def test_cancel_pending_orders(provider: Provider, panel: Panel, size: int) -> None:
    service = await first_of(provider, ServiceType.DEFAULT, cancel=True)
    ids = await place(provider, service, size, start=80_000 + size * 200)
    result = await provider.cancel([*ids, "999999999"])
    for order_id in ids:
        assert result[order_id] == CancelResult(order=order_id), result[order_id]
    assert isinstance(result["999999999"], ProviderError)
    statuses = await provider.status(ids)
    assert all(isinstance(s, OrderStatus) and s.state is OrderState.CANCELED
               for s in statuses.values())  # fmt: skip


async def test_cancel_of_a_service_without_cancel_is_refused(provider: Provider) -> None:
    service = await first_of(provider, ServiceType.DEFAULT, cancel=False)
    [order_id] = await place(provider, service, 1, start=90_000)
    outcome = (await provider.cancel([order_id]))[order_id]
    assert isinstance(outcome, ProviderError)
    assert not isinstance(outcome, CancelResult)


async def test_refused_orders_raise_typed_errors(provider: Provider) -> None:
    service = await first_of(provider, ServiceType.DEFAULT)
    low = OrderRequest(service=service.id, link="https://example.com/q", quantity=service.min - 1
                       if service.min > 1 else 1)  # fmt: skip
    if service.min > 1:
        with pytest.raises(InvalidQuantity):
            await provider.add(low)
    high = OrderRequest(service=service.id, link="https://example.com/q", quantity=service.max + 1)
    with pytest.raises(InvalidQuantity):
        await provider.add(high)
    with pytest.raises((InvalidService, NotFound)):
        await provider.add(OrderRequest(service="123456789", link="https://x.com/a", quantity=100))


async def test_bad_link_is_a_link_error(provider: Provider) -> None:
    service = await first_of(provider, ServiceType.DEFAULT)
    # Built unchecked: the gateway never sends such a link, but a panel's refusal must map.
    unchecked = OrderRequest.model_construct(
        service=service.id, link="not a link", quantity=service.min
    )
    with pytest.raises(InvalidLink):
        await provider.add(unchecked)


async def test_insufficient_funds(panel: Panel) -> None:
    panel.sim.panel.set_account("poor-key", Decimal("0.00001"))
    async with panel.adapter("poor-key") as adapter:
        service = next(s for s in await adapter.services() if s.rate.amount > 1)
        with pytest.raises(InsufficientFunds):
            await adapter.add(request_for(service, 1))


async def test_bad_key_is_an_authentication_error(panel: Panel) -> None:
    async with panel.adapter("not-a-key") as adapter:
        with pytest.raises(AuthenticationError):
            await adapter.balance()
        with pytest.raises(AuthenticationError):
            await adapter.services()
