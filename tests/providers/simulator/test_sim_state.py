"""The panel state machine, driven directly with a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from providers.models import OrderState, RefillState, ServiceType
from providers.simulator import ManualClock, Panel, PanelError, Problem, SimService

KEY = "k"
Make = Callable[..., SimService]


def panel_with(*services: SimService, balance: str = "100", **options: object) -> Panel:
    return Panel(
        list(services),
        clock=ManualClock(),
        seed=3,
        keys=[KEY],
        balance=Decimal(balance),
        **options,  # type: ignore[arg-type]
    )


def refused(problem: Problem) -> pytest.RaisesExc[PanelError]:
    return pytest.raises(PanelError, check=lambda e: e.problem is problem)


def order(panel: Panel, service: int = 1, **fields: object) -> int:
    base = {"link": "https://instagram.com/p/x", "quantity": "1000"}
    data = {**base, **{k: str(v) for k, v in fields.items()}}
    return panel.add(KEY, service, data).id


def test_order_is_charged_rate_times_quantity_per_thousand(make_service: Make) -> None:
    panel = panel_with(make_service(rate="0.90"))
    order_id = order(panel, quantity=1500)
    assert panel.status(KEY, order_id).charge == Decimal("1.35")
    assert panel.balance(KEY) == Decimal("98.65")


def test_order_moves_from_pending_to_in_progress_to_completed(make_service: Make) -> None:
    panel = panel_with(make_service(start_delay=60, speed=10))
    order_id = order(panel, quantity=1000)
    pending = panel.status(KEY, order_id)
    assert (pending.state, pending.remains, pending.start_count) == (OrderState.PENDING, 1000, 0)
    panel.advance(60 + 30)
    running = panel.status(KEY, order_id)
    assert running.state is OrderState.IN_PROGRESS
    assert running.remains == 700
    assert running.start_count > 0
    panel.advance(100)
    done = panel.status(KEY, order_id)
    assert (done.state, done.remains) == (OrderState.COMPLETED, 0)
    assert done.start_count == running.start_count


def test_partial_order_refunds_undelivered_part(make_service: Make) -> None:
    panel = panel_with(make_service(rate="1.00", partial_probability=1.0))
    order_id = order(panel, quantity=1000)
    assert panel.balance(KEY) == Decimal("99.00")
    panel.advance(10_000)
    view = panel.status(KEY, order_id)
    assert view.state is OrderState.PARTIAL
    assert 0 < view.remains < 1000
    assert view.charge == Decimal("1.00") * (1000 - view.remains) / 1000
    assert panel.balance(KEY) == Decimal("100") - view.charge


def test_partial_outcome_is_deterministic_for_a_seed(make_service: Make) -> None:
    def remains() -> list[int]:
        panel = panel_with(make_service(partial_probability=0.5))
        ids = [order(panel) for _ in range(20)]
        panel.advance(10_000)
        return [panel.status(KEY, i).remains for i in ids]

    first = remains()
    assert first == remains()
    assert 0 < sum(1 for r in first if r) < 20


def test_dripfeed_order_charges_every_run_and_delivers_over_the_intervals(
    make_service: Make,
) -> None:
    panel = panel_with(make_service(rate="1.00", start_delay=0, speed=100))
    order_id = order(panel, quantity=100, runs=5, interval=10)
    assert panel.status(KEY, order_id).charge == Decimal("0.5")
    panel.advance(11 * 60)
    assert panel.status(KEY, order_id).remains == 300
    panel.advance(40 * 60)
    assert panel.status(KEY, order_id).state is OrderState.COMPLETED


def test_dripfeed_on_a_service_without_it_is_refused(make_service: Make) -> None:
    panel = panel_with(make_service(dripfeed=False))
    with refused(Problem.NO_DRIPFEED):
        order(panel, runs=2, interval=5)


def test_package_is_charged_its_flat_rate(make_service: Make) -> None:
    panel = panel_with(make_service(type=ServiceType.PACKAGE, rate="4.50", min=1, max=1))
    order_id = panel.add(KEY, 1, {"link": "https://x"}).id
    assert panel.status(KEY, order_id).charge == Decimal("4.50")


def test_custom_comments_quantity_is_the_number_of_lines(make_service: Make) -> None:
    panel = panel_with(make_service(type=ServiceType.CUSTOM_COMMENTS, rate="8", min=2))
    placed = panel.add(KEY, 1, {"link": "https://x", "comments": "Nice!\r\nGreat\n\nWow"})
    assert placed.quantity == 3
    assert panel.status(KEY, placed.id).charge == Decimal("0.024")


def test_unknown_service_is_refused(make_service: Make) -> None:
    with refused(Problem.BAD_SERVICE):
        order(panel_with(make_service()), service=2)


def test_missing_link_is_refused_with_the_field_name(make_service: Make) -> None:
    panel = panel_with(make_service())
    with pytest.raises(PanelError) as caught:
        panel.add(KEY, 1, {"quantity": "100"})
    assert caught.value.problem is Problem.FIELD_REQUIRED
    assert caught.value.params["field"] == "link"


def test_every_type_needs_its_own_fields(make_service: Make) -> None:
    panel = panel_with(make_service(type=ServiceType.WEB_TRAFFIC, min=1))
    with pytest.raises(PanelError) as caught:
        panel.add(KEY, 1, {"link": "https://x", "quantity": "100", "country": "US"})
    assert caught.value.params["field"] == "device"


def test_quantity_outside_min_and_max_is_refused(make_service: Make) -> None:
    panel = panel_with(make_service(min=100, max=5000))
    with refused(Problem.QUANTITY_LOW):
        order(panel, quantity=99)
    with refused(Problem.QUANTITY_HIGH):
        order(panel, quantity=5001)
    with refused(Problem.BAD_QUANTITY):
        order(panel, quantity="lots")


def test_order_beyond_the_balance_is_refused_and_not_charged(make_service: Make) -> None:
    panel = panel_with(make_service(rate="100"), balance="1")
    with refused(Problem.NO_FUNDS):
        order(panel, quantity=1000)
    assert panel.balance(KEY) == Decimal(1)
    assert panel.order_count == 0


def test_unknown_key_is_refused(make_service: Make) -> None:
    panel = panel_with(make_service())
    with refused(Problem.BAD_KEY):
        panel.add("nobody", 1, {"link": "x", "quantity": "100"})


def test_orders_of_another_key_are_unknown(make_service: Make) -> None:
    panel = panel_with(make_service())
    panel.set_account("other")
    order_id = order(panel)
    with refused(Problem.BAD_ORDER):
        panel.status("other", order_id)


def test_cancel_before_delivery_refunds_everything(make_service: Make) -> None:
    panel = panel_with(make_service(rate="2"))
    order_id = order(panel)
    panel.cancel(KEY, order_id)
    view = panel.status(KEY, order_id)
    assert (view.state, view.charge, view.remains) == (OrderState.CANCELED, Decimal(0), 1000)
    assert panel.balance(KEY) == Decimal(100)


def test_cancel_during_delivery_ends_partial_and_refunds_the_remains(make_service: Make) -> None:
    panel = panel_with(make_service(rate="2", start_delay=0, speed=10))
    order_id = order(panel)
    panel.advance(25)
    panel.cancel(KEY, order_id)
    view = panel.status(KEY, order_id)
    assert (view.state, view.remains, view.charge) == (OrderState.PARTIAL, 750, Decimal("0.5"))
    assert panel.balance(KEY) == Decimal("99.5")
    panel.advance(10_000)
    assert panel.status(KEY, order_id).remains == 750


def test_cancel_needs_the_service_flag_and_an_unfinished_order(make_service: Make) -> None:
    panel = panel_with(make_service(1, cancel=False), make_service(2))
    with refused(Problem.NOT_CANCELABLE):
        panel.cancel(KEY, order(panel, service=1))
    done = order(panel, service=2)
    panel.advance(10_000)
    with refused(Problem.NOT_CANCELABLE):
        panel.cancel(KEY, done)


def test_refill_of_a_completed_order_goes_pending_then_in_progress_then_completed(
    make_service: Make,
) -> None:
    panel = panel_with(make_service())
    order_id = order(panel)
    panel.advance(10_000)
    states = set()
    for _ in range(12):
        refill_id = panel.refill(KEY, order_id)
        states.add(panel.refill_status(KEY, refill_id))
        panel.advance(100)
        states.add(panel.refill_status(KEY, refill_id))
        panel.advance(1000)
        states.add(panel.refill_status(KEY, refill_id))
    assert {RefillState.PENDING, RefillState.IN_PROGRESS, RefillState.COMPLETED} <= states


def test_refill_needs_the_service_flag_and_a_finished_order(make_service: Make) -> None:
    panel = panel_with(make_service(1, refill=False), make_service(2))
    done = order(panel, service=1)
    running = order(panel, service=2)
    with refused(Problem.NOT_REFILLABLE):
        panel.refill(KEY, running)
    panel.advance(10_000)
    with refused(Problem.NOT_REFILLABLE):
        panel.refill(KEY, done)


def test_a_second_refill_waits_for_the_first(make_service: Make) -> None:
    panel = panel_with(make_service())
    order_id = order(panel)
    panel.advance(10_000)
    panel.refill(KEY, order_id)
    with refused(Problem.NOT_REFILLABLE):
        panel.refill(KEY, order_id)


def test_unknown_refill_is_refused(make_service: Make) -> None:
    with refused(Problem.BAD_REFILL):
        panel_with(make_service()).refill_status(KEY, 12345)


def test_duplicate_link_rule_refuses_a_second_active_order(make_service: Make) -> None:
    panel = panel_with(make_service(), duplicate_links=True)
    order(panel)
    with refused(Problem.DUPLICATE_LINK):
        order(panel)
    panel.advance(10_000)
    order(panel)


def test_duplicate_links_are_allowed_by_default(make_service: Make) -> None:
    panel = panel_with(make_service())
    assert order(panel) != order(panel)


def test_rate_limit_counts_calls_per_key_per_minute(make_service: Make) -> None:
    rate_clock = ManualClock()
    panel = panel_with(make_service(), rate_limit=3, rate_clock=rate_clock)
    for _ in range(3):
        panel.check_rate(KEY)
    with pytest.raises(PanelError) as caught:
        panel.check_rate(KEY)
    assert caught.value.problem is Problem.RATE_LIMITED
    assert caught.value.params["limit"] == 3
    rate_clock.advance(61)
    panel.check_rate(KEY)


def test_set_account_creates_a_key_or_sets_its_balance(make_service: Make) -> None:
    panel = panel_with(make_service())
    panel.set_account("new")
    assert panel.balance("new") == Decimal(100)
    panel.set_account(KEY, Decimal("5.5"))
    assert panel.balance(KEY) == Decimal("5.5")


def test_calls_are_counted_per_action(make_service: Make) -> None:
    panel = panel_with(make_service())
    panel.record_call("add")
    panel.record_call("status")
    panel.record_call("status")
    assert panel.calls == {"add": 1, "status": 2}


def test_time_only_moves_forward(make_service: Make) -> None:
    panel = panel_with(make_service())
    with pytest.raises(ValueError, match="seconds"):
        panel.advance(-1)


def test_a_link_with_spaces_is_refused(make_service: Make) -> None:
    panel = panel_with(make_service())
    with refused(Problem.BAD_LINK):
        order(panel, link="not a link")
    order(panel, link="instagram_user")
