"""Panel answers the parser must read exactly: the currency a status reports its charge in,
status batches as lists, and what an `add` answer carries besides the order id. (Mutants of
these paths survived the rest of the suite.)"""

from __future__ import annotations

from decimal import Decimal

from providers.errors import ProviderError
from providers.models import Money, OrderState, OrderStatus
from providers.parsing import is_failure, parse_placed, parse_status, parse_status_batch


def test_a_status_charge_keeps_the_currency_the_panel_reports() -> None:
    status = parse_status("7", {"charge": "5.00", "status": "Running", "currency": "EUR"}, "USD")
    assert isinstance(status, OrderStatus)
    assert status.charge == Money(amount=Decimal("5.00"), currency="EUR")
    assert status.state is OrderState.IN_PROGRESS


def test_a_status_charge_without_a_currency_is_in_the_providers() -> None:
    status = parse_status("7", {"charge": "0.27819", "status": "Awaiting"}, "USD")
    assert isinstance(status, OrderStatus)
    assert status.charge == Money(amount=Decimal("0.27819"), currency="USD")
    assert status.state is OrderState.PENDING
    empty = parse_status("7", {"charge": "", "status": "Pending"}, "USD")
    assert isinstance(empty, OrderStatus)
    assert empty.charge is None


def test_an_unreadable_status_names_its_order() -> None:
    failed = parse_status("7", {"charge": "lots", "status": "Pending"}, "USD")
    assert isinstance(failed, ProviderError)
    assert failed.message.startswith("unreadable status for order 7: ")


def test_a_status_batch_may_come_as_a_list() -> None:
    answer = [
        {"order": 1, "charge": "1.5", "status": "Completed", "currency": "EUR"},
        {"order": "2", "status": "Running"},
        {"status": "Completed"},
    ]
    parsed = parse_status_batch(["1", "2", "3"], answer, "USD")
    assert set(parsed) == {"1", "2"}, "an item without an id answers nothing"
    first, second = parsed["1"], parsed["2"]
    assert isinstance(first, OrderStatus)
    assert isinstance(second, OrderStatus)
    assert first.charge == Money(amount=Decimal("1.5"), currency="EUR")
    assert (first.state, second.state) == (OrderState.COMPLETED, OrderState.IN_PROGRESS)


def test_an_add_answer_keeps_what_else_it_says() -> None:
    placed = parse_placed({"order": 23501, "charge": "0.9", "currency": "USD"})
    assert placed.order == "23501"
    assert placed.extras == {"charge": "0.9", "currency": "USD"}


def test_failure_needs_an_error_key_in_an_object() -> None:
    assert is_failure(["error"], ()) is None
    assert is_failure({"order": 1}, ("order",)) is None
    assert is_failure({"error": "Incorrect order ID"}, ()) == "Incorrect order ID"
