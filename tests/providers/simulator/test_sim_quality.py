"""Quality settings: each one's effect over many orders on a manual clock, the same outcomes for
the same seed, the control endpoint, the command line, and the default profile as before."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import fields
from decimal import Decimal

import httpx
import pytest

from providers.models import OrderState, RefillState, ServiceType
from providers.simulator import (
    QUALITY_PROFILES,
    ManualClock,
    Panel,
    QualityPlan,
    QualitySettings,
    SimService,
    SimulatorServer,
    generate_services,
    get_quality,
    simulator,
)
from providers.simulator.__main__ import build_app, parse_args
from providers.simulator.drops import DROP_PERIOD
from providers.simulator.orders import REFILL_PENDING, REFILL_WORK, SimOrder
from providers.simulator.render import Renderer

KEY = "k"
PLENTY = Decimal(1_000_000)
REFILL_DONE = REFILL_PENDING + REFILL_WORK


def _panel(
    services: Sequence[SimService],
    quality: QualityPlan | QualitySettings | str | None = None,
    *,
    seed: int = 1,
) -> Panel:
    plan = None if quality is None else QualityPlan.of(quality)
    return Panel(services, clock=ManualClock(), seed=seed, keys=[KEY], balance=PLENTY, quality=plan)


def _place(panel: Panel, service: SimService, count: int, quantity: int = 1000) -> list[SimOrder]:
    fields = {"quantity": str(quantity)}
    return [
        panel.add(KEY, service.id, {"link": f"https://example.com/p/{i}", **fields})
        for i in range(count)
    ]


def _states(panel: Panel, orders: Sequence[SimOrder]) -> list[OrderState]:
    return [panel.status(KEY, order.id).state for order in orders]


# -- the default profile --------------------------------------------------------------------


def _fingerprint(panel: Panel) -> tuple[object, ...]:
    services = [s for s in panel.services if s.type is ServiceType.DEFAULT][:40]
    orders = []
    for i in range(400):
        s = services[i % len(services)]
        quantity = s.min + (i * 37) % max(1, min(s.max, 5000) - s.min + 1)
        orders.append(panel.add(KEY, s.id, {"link": f"https://x/{i}", "quantity": str(quantity)}))
    panel.advance(3 * 86400)
    views = [panel.status(KEY, order.id) for order in orders]
    refills = [panel.refill(KEY, order.id) for order in orders if order.service.refill]
    panel.advance(1000)
    rejected = [panel.refill_status(KEY, r) for r in refills].count(RefillState.REJECTED)
    return (
        [view.state for view in views].count(OrderState.PARTIAL),
        sum(view.delivered for view in views),
        sum(view.charge for view in views),
        sum(order.start_count for order in orders),
        len(refills),
        rejected,
        panel.balance(KEY),
    )


# Taken from the simulator before quality settings existed (seed 1, 300 services, 400 orders).
BEFORE = (
    40,
    954862,
    Decimal("274.88489659"),
    9904613,
    260,
    45,
    Decimal("999999725.11510341"),
)


@pytest.mark.parametrize("quality", [None, "default", QualitySettings()])
def test_the_default_profile_is_the_simulator_as_before(
    quality: str | QualitySettings | None,
) -> None:
    panel = Panel(
        generate_services(seed=1, size=300),
        clock=ManualClock(),
        seed=1,
        keys=[KEY],
        balance=Decimal(10**9),
        quality=None if quality is None else QualityPlan.of(quality),
    )
    assert _fingerprint(panel) == BEFORE


# -- each setting's effect ------------------------------------------------------------------


def test_partials_deliver_the_delivered_fraction_on_average_with_a_spread(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service()
    panel = _panel([service], QualitySettings(partial_rate=1.0, delivered_fraction=0.6))
    orders = _place(panel, service, 400)
    panel.advance(86400)

    views = [panel.status(KEY, order.id) for order in orders]
    assert {view.state for view in views} == {OrderState.PARTIAL}
    shares = [view.delivered / 1000 for view in views]
    assert 0.59 <= sum(shares) / len(shares) <= 0.61
    assert min(shares) >= 0.5
    assert max(shares) <= 0.7
    assert len(set(shares)) > 50
    assert all(view.remains == 1000 - view.delivered for view in views)


def test_a_spread_of_zero_delivers_exactly_the_fraction(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service()
    settings = QualitySettings(partial_rate=1.0, delivered_fraction=0.35, delivered_spread=0.0)
    panel = _panel([service], settings)
    orders = _place(panel, service, 20)
    panel.advance(86400)
    assert {panel.status(KEY, order.id).delivered for order in orders} == {350}


@pytest.mark.parametrize(("rate", "low", "high"), [(0.0, 0, 0), (0.3, 250, 350), (1.0, 1000, 1000)])
def test_the_partial_rate_is_the_share_of_orders_ending_partial(
    make_service: Callable[..., SimService], rate: float, low: int, high: int
) -> None:
    service = make_service(partial_probability=0.5)
    panel = _panel([service], QualitySettings(partial_rate=rate))
    orders = _place(panel, service, 1000, quantity=100)
    panel.advance(86400)
    states = _states(panel, orders)
    assert low <= states.count(OrderState.PARTIAL) <= high
    assert states.count(OrderState.PARTIAL) + states.count(OrderState.COMPLETED) == 1000


def test_orders_start_after_the_start_delay(make_service: Callable[..., SimService]) -> None:
    service = make_service(start_delay=60.0)
    panel = _panel([service], QualitySettings(start_delay=900.0, speed=3600.0))
    orders = _place(panel, service, 50)

    panel.advance(899)
    before = [panel.status(KEY, order.id) for order in orders]
    assert {view.state for view in before} == {OrderState.PENDING}
    assert {(view.start_count, view.remains) for view in before} == {(0, 1000)}

    panel.advance(2)
    after = [panel.status(KEY, order.id) for order in orders]
    assert {view.state for view in after} == {OrderState.IN_PROGRESS}
    assert {view.delivered for view in after} == {1}
    assert all(
        view.start_count == order.start_count for view, order in zip(after, orders, strict=True)
    )


def test_orders_run_at_the_speed_in_units_an_hour(make_service: Callable[..., SimService]) -> None:
    service = make_service(speed=50.0)
    panel = _panel([service], QualitySettings(start_delay=0.0, speed=7200.0))
    orders = _place(panel, service, 30, quantity=5000)

    panel.advance(1800)
    assert {panel.status(KEY, order.id).delivered for order in orders} == {3600}
    panel.advance(699)
    assert set(_states(panel, orders)) == {OrderState.IN_PROGRESS}
    panel.advance(1)
    assert set(_states(panel, orders)) == {OrderState.COMPLETED}


def test_each_drip_feed_run_goes_at_the_speed(make_service: Callable[..., SimService]) -> None:
    service = make_service()
    panel = _panel([service], QualitySettings(start_delay=0.0, speed=3600.0, partial_rate=0.0))
    fields = {"link": "https://example.com/d", "quantity": "100", "runs": "3", "interval": "60"}
    order = panel.add(KEY, service.id, fields)
    panel.advance(3600 + 50)
    assert panel.status(KEY, order.id).delivered == 150
    panel.advance(2 * 3600)
    assert panel.status(KEY, order.id).state is OrderState.COMPLETED


@pytest.mark.parametrize("refund", [True, False])
def test_partials_refund_the_undelivered_part_or_keep_the_charge(
    make_service: Callable[..., SimService], refund: bool
) -> None:
    service = make_service(rate="0.90")
    settings = QualitySettings(
        partial_rate=1.0, delivered_fraction=0.5, delivered_spread=0.0, refund_partial=refund
    )
    panel = _panel([service], settings)
    orders = _place(panel, service, 100)
    assert panel.balance(KEY) == PLENTY - 90
    panel.advance(86400)

    views = [panel.status(KEY, order.id) for order in orders]
    assert {(view.state, view.delivered) for view in views} == {(OrderState.PARTIAL, 500)}
    charge = Decimal("0.45") if refund else Decimal("0.90")
    assert {view.charge for view in views} == {charge}
    assert panel.balance(KEY) == PLENTY - 100 * charge


def test_a_cancel_refunds_even_where_partials_keep_the_charge(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service(rate="1.00", cancel=True)
    settings = QualitySettings(partial_rate=0.0, refund_partial=False, start_delay=0, speed=3600)
    panel = _panel([service], settings)
    order = _place(panel, service, 1)[0]
    panel.advance(250)
    panel.cancel(KEY, order.id)
    view = panel.status(KEY, order.id)
    assert (view.state, view.delivered, view.charge) == (OrderState.PARTIAL, 250, Decimal("0.25"))
    assert panel.balance(KEY) == PLENTY - Decimal("0.25")


@pytest.mark.parametrize(("success", "low", "high"), [(0.0, 0, 0), (0.3, 75, 105), (1.0, 300, 300)])
def test_refills_succeed_at_the_refill_success_rate(
    make_service: Callable[..., SimService], success: float, low: int, high: int
) -> None:
    service = make_service(refill=True)
    panel = _panel([service], QualitySettings(partial_rate=0.0, refill_success=success))
    orders = _place(panel, service, 300, quantity=100)
    panel.advance(86400)
    refills = [panel.refill(KEY, order.id) for order in orders]
    panel.advance(REFILL_DONE)
    states = [panel.refill_status(KEY, refill) for refill in refills]
    assert low <= states.count(RefillState.COMPLETED) <= high
    assert states.count(RefillState.COMPLETED) + states.count(RefillState.REJECTED) == 300


def test_delivered_units_drop_after_the_order_ends_and_a_refill_restores_them(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service(refill=True)
    settings = QualitySettings(
        partial_rate=0.0, start_delay=0.0, speed=3600.0, drop_rate=0.2, refill_success=1.0
    )
    panel = _panel([service], settings)
    order = _place(panel, service, 1)[0]
    panel.advance(999)
    assert panel.dropped(order.id) == 0
    panel.advance(1)
    assert panel.status(KEY, order.id).state is OrderState.COMPLETED
    assert panel.dropped(order.id) == 0

    panel.advance(DROP_PERIOD / 2)
    assert panel.dropped(order.id) == 100
    panel.refill(KEY, order.id)
    panel.advance(REFILL_DONE)
    assert panel.dropped(order.id) == 0
    panel.advance(DROP_PERIOD)
    # 200 drop in all; the refill restored the 100 (and a few) dropped before it completed.
    assert panel.dropped(order.id) == 200 - int(200 * (DROP_PERIOD / 2 + REFILL_DONE) / DROP_PERIOD)
    assert panel.status(KEY, order.id).remains == 0


def test_nothing_drops_by_default_and_a_rejected_refill_restores_nothing(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service(refill=True)
    quiet = _panel([service])
    order = _place(quiet, service, 1)[0]
    quiet.advance(10 * DROP_PERIOD)
    assert quiet.dropped(order.id) == 0

    panel = _panel([service], QualitySettings(partial_rate=0, drop_rate=0.1, refill_success=0))
    order = _place(panel, service, 1)[0]
    panel.advance(2 * DROP_PERIOD)
    panel.refill(KEY, order.id)
    panel.advance(REFILL_DONE)
    assert panel.dropped(order.id) == 100


# -- choosing quality -----------------------------------------------------------------------


def test_overrides_apply_to_their_service_on_top_of_the_profile(
    make_service: Callable[..., SimService],
) -> None:
    good, bad = make_service(1), make_service(2)
    override = QualitySettings(partial_rate=1.0, refund_partial=False)
    panel = _panel([good, bad], QualityPlan("perfect", services={bad.id: override}))
    good_orders, bad_orders = _place(panel, good, 50), _place(panel, bad, 50)
    panel.advance(900)  # the perfect profile: a minute to start, 3,000 units an hour
    assert set(_states(panel, good_orders)) == {OrderState.IN_PROGRESS}
    panel.advance(86400)
    assert set(_states(panel, good_orders)) == {OrderState.COMPLETED}
    assert set(_states(panel, bad_orders)) == {OrderState.PARTIAL}
    assert {panel.status(KEY, o.id).charge for o in bad_orders} == {Decimal("0.90")}
    assert panel.quality.for_service(bad.id).speed == 3000.0


def test_a_mapping_overrides_the_default_profile(make_service: Callable[..., SimService]) -> None:
    plain, worse = make_service(1), make_service(2)
    plan = QualityPlan.of({worse.id: QualitySettings(partial_rate=1.0)})
    assert plan.profile == "default"
    assert plan.for_service(plain.id) == QualitySettings()
    panel = _panel([plain, worse], plan)
    plain_orders, worse_orders = _place(panel, plain, 30), _place(panel, worse, 30)
    panel.advance(86400)
    assert set(_states(panel, plain_orders)) == {OrderState.COMPLETED}
    assert set(_states(panel, worse_orders)) == {OrderState.PARTIAL}


def test_a_new_plan_applies_to_orders_placed_after_it(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service()
    panel = _panel([service], "perfect")
    before = _place(panel, service, 20)
    panel.quality = QualityPlan.of(QualitySettings(partial_rate=1.0, refund_partial=False))
    after = _place(panel, service, 20)
    panel.advance(86400)
    assert set(_states(panel, before)) == {OrderState.COMPLETED}
    assert set(_states(panel, after)) == {OrderState.PARTIAL}


def _outcomes(seed: int, steps: int) -> list[tuple[object, ...]]:
    panel = Panel(
        generate_services(seed=seed, size=60),
        clock=ManualClock(),
        seed=seed,
        keys=[KEY],
        balance=PLENTY,
        quality=QualityPlan("cheap_underdelivers"),
    )
    services = [s for s in panel.services if s.type is ServiceType.DEFAULT][:10]
    orders = [_place(panel, s, 20, quantity=s.min * 10)[0] for s in services for _ in range(5)]
    for _ in range(steps):
        panel.advance(10 * 86400 / steps)
        panel.balance(KEY)
    views = [panel.status(KEY, order.id) for order in orders]
    return [(v.state, v.delivered, v.charge, v.start_count, panel.balance(KEY)) for v in views]


def test_the_same_seed_and_clock_give_the_same_outcomes() -> None:
    first = _outcomes(seed=5, steps=1)
    assert first == _outcomes(seed=5, steps=1)
    # Looking at the panel along the way changes nothing.
    assert first == _outcomes(seed=5, steps=40)
    assert first != _outcomes(seed=6, steps=1)
    assert OrderState.PARTIAL in {outcome[0] for outcome in first}


def test_orders_saved_before_quality_settings_load_with_the_old_behaviour(
    make_service: Callable[..., SimService],
) -> None:
    service = make_service()
    panel = _panel([service], QualitySettings(refund_partial=False, drop_rate=0.5))
    order = _place(panel, service, 1)[0]
    assert pickle.loads(pickle.dumps(order)).drop_share == 0.5
    new = ("refund_partial", "drop_share")
    old = {f.name: getattr(order, f.name) for f in fields(order) if f.name not in new}
    loaded = SimOrder.__new__(SimOrder)
    loaded.__setstate__((None, old))
    assert (loaded.refund_partial, loaded.drop_share, loaded.target) == (True, 0.0, order.target)


# -- settings, profiles and the command line ------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"delivered_fraction": 1.0},
        {"delivered_fraction": 0},
        {"partial_rate": 1.5},
        {"refill_success": -0.1},
        {"drop_rate": float("nan")},
        {"speed": 0},
        {"start_delay": -1},
        {"start_delay": float("inf")},
    ],
)
def test_settings_out_of_range_are_refused(settings: dict[str, float]) -> None:
    (name,) = settings
    with pytest.raises(ValueError, match=f"^{name} must be"):
        QualitySettings.from_mapping(settings)


def test_settings_from_text() -> None:
    text = {"partial_rate": "0.25", "refund_partial": "keep", "speed": 120}
    assert QualitySettings.from_mapping(text) == QualitySettings(
        partial_rate=0.25, refund_partial=False, speed=120.0
    )
    refused: dict[str, dict[str, object]] = {
        "unknown quality setting 'colour'": {"colour": 1},
        "speed must be a number": {"speed": "fast"},
        "refund_partial must be true": {"refund_partial": "maybe"},
        "start_delay must be a number": {"start_delay": True},
    }
    for error, bad in refused.items():
        with pytest.raises(ValueError, match=error):
            QualitySettings.from_mapping(bad)


def test_every_named_profile_but_default_sets_every_setting() -> None:
    assert get_quality("default") == QualitySettings()
    for name, settings in QUALITY_PROFILES.items():
        if name != "default":
            assert None not in [getattr(settings, f.name) for f in fields(settings)], name
    with pytest.raises(ValueError, match="cheap_underdelivers"):
        get_quality("premium")
    cheap = get_quality("cheap_underdelivers")
    assert cheap.refund_partial is False
    assert (cheap.partial_rate or 0) > 0.2


def test_the_command_line_sets_the_quality() -> None:
    listed = generate_services(seed=3, size=300)[5]
    override = f"{listed.id}:partial_rate=0.05,refund_partial=refund"
    argv = ["--seed", "3", "--quality", "cheap_underdelivers", "--quality-service", override]
    options = parse_args([*argv, "--key", "k"])
    panel: Panel = build_app(options).state.panel
    assert panel.quality.profile == "cheap_underdelivers"
    assert panel.quality.for_service(listed.id).partial_rate == 0.05
    assert panel.quality.for_service(listed.id).refund_partial is True
    assert panel.quality.for_service(listed.id).speed == 1000.0
    assert build_app(parse_args(["--key", "k"])).state.panel.quality == QualityPlan()


@pytest.mark.parametrize(
    "argv",
    [
        ["--quality", "premium"],
        ["--quality-service", "no-colon"],
        ["--quality-service", "1:speed=fast"],
        ["--quality-service", "1:partial_rate=0.5"],  # not a service of this catalog
    ],
)
def test_the_command_line_refuses_bad_quality(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert "quality" in capsys.readouterr().err


# -- the control endpoint -------------------------------------------------------------------


def test_the_control_endpoint_shows_and_replaces_the_plan(
    sim: SimulatorServer,
    client: httpx.Client,
    call: Callable[..., httpx.Response],
    default_service: Callable[..., SimService],
) -> None:
    url = f"{sim.base_url}/_sim/quality"
    assert client.get(url).json() == {
        "profile": "default",
        "settings": {},
        "effective": {},
        "services": {},
    }
    service = default_service(refill=True)
    override = {"partial_rate": 1, "delivered_spread": 0, "delivered_fraction": "0.5"}
    body = {"profile": "cheap_underdelivers", "services": {str(service.id): override}}
    answer = client.post(url, json=body)
    assert answer.status_code == 200
    plan = answer.json()
    assert plan["profile"] == "cheap_underdelivers"
    assert plan["effective"]["refund_partial"] is False
    assert plan["services"] == {
        str(service.id): {"delivered_fraction": 0.5, "delivered_spread": 0.0, "partial_rate": 1.0}
    }

    quantity = service.min * 10  # even, and below the service's max
    assert quantity % 2 == 0
    assert quantity <= service.max
    order = call(action="add", service=service.id, link="https://example.com/q", quantity=quantity)
    order_id = order.json()["order"]
    client.post(f"{sim.base_url}/_sim/clock/advance", json={"seconds": 30 * 86400})
    status = call(action="status", order=order_id).json()
    assert status["status"] == "Partial"
    assert int(status["remains"]) == quantity // 2
    assert Decimal(str(status["charge"])) == service.rate * quantity / 1000
    detail = client.get(f"{sim.base_url}/_sim/orders/{order_id}").json()
    drop_rate = get_quality("cheap_underdelivers").drop_rate or 0.0
    assert detail["dropped"] == int(quantity // 2 * drop_rate) > 0

    # Only the profile given: the overrides go, the profile stays when none is given.
    assert client.post(url, json={"settings": {"speed": 50}}).json()["services"] == {}
    assert client.get(url).json()["effective"]["speed"] == 50.0
    assert client.post(url, json={"profile": "default"}).json()["effective"] == {}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"profile": "premium"}, 400),
        ({"settings": {"colour": 1}}, 400),
        ({"settings": {"partial_rate": 2}}, 400),
        ({"settings": [1]}, 400),
        ({"services": [1]}, 400),
        ({"services": {"1": {"speed": 10}}}, 404),
        ({"services": {"x": {"speed": 10}}}, 404),
    ],
)
def test_the_control_endpoint_refuses_bad_plans(
    sim: SimulatorServer, client: httpx.Client, body: dict[str, object], status: int
) -> None:
    answer = client.post(f"{sim.base_url}/_sim/quality", json=body)
    assert answer.status_code == status
    assert answer.json()["error"]
    assert client.get(f"{sim.base_url}/_sim/quality").json()["profile"] == "default"


def test_the_control_endpoint_takes_the_profiles_service_ids(client: httpx.Client) -> None:
    with simulator(seed=4, profile="json", quality="reliable", clock=ManualClock()) as sim:
        service = sim.panel.services[0]
        shown = str(Renderer(sim.profile, salt="4").service_ids.encode(service.id))
        assert shown.startswith("svc_")
        url = f"{sim.base_url}/_sim/quality"
        plan = client.post(url, json={"services": {shown: {"speed": 10}}}).json()
        assert plan["profile"] == "reliable"
        assert plan["services"] == {shown: {"speed": 10.0}}
        assert sim.panel.quality.for_service(service.id).speed == 10.0
