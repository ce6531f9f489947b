"""Every answer shape of PANELS.md read into the shared models."""

import json
from decimal import Decimal
from typing import Any

import pytest

from providers import parsing
from providers.errors import NotFound, ProviderError
from providers.models import (
    CancelResult,
    OrderState,
    OrderStatus,
    Refill,
    RefillState,
    RefillStatus,
    ServiceType,
)


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


SEED_SERVICES = """[
 {"service": 1, "name": "Followers", "type": "Default", "category": "First Category",
  "rate": "0.90", "min": "50", "max": "10000", "refill": true, "cancel": true},
 {"service": 2, "name": "Comments", "type": "Custom Comments", "category": "Second Category",
  "rate": "8", "min": "10", "max": "1500", "refill": false, "cancel": true}
]"""


def test_seed_service_list() -> None:
    services = parsing.parse_services(loads(SEED_SERVICES), "USD")
    assert [s.id for s in services] == ["1", "2"]
    first, second = services
    assert first.rate.amount == Decimal("0.90")
    assert first.rate.currency == "USD"
    assert (first.min, first.max, first.refill, first.cancel) == (50, 10000, True, True)
    assert second.type is ServiceType.CUSTOM_COMMENTS
    assert first.dripfeed is None


def test_loose_service_list_wrapped_with_numbers_flags_and_extras() -> None:
    answer = loads("""{"services": [
      {"service": "5012", "name_lang": {"en": "IG Likes", "ru": "Лайки"}, "type": "default",
       "category": "Instagram", "rate [Other currency Separate Ticket request]": 0.123456,
       "min": 10, "max": 1000000000000, "refill": "1", "cancel": "0", "dripfeed": "true",
       "desc": "Fast", "average_time": "2 hours"},
      {"service": "5f1a2b3c4d5e6f7a8b9c0d1e", "name": "Views", "rate": 1, "min": "100",
       "max": "1e6", "refill": "True"}
    ]}""")
    first, second = parsing.parse_services(answer, "eur")
    assert first.id == "5012"
    assert first.name == "IG Likes"
    assert first.rate.amount == Decimal("0.123456")
    assert first.rate.currency == "EUR"
    assert first.max == 10**12
    assert (first.refill, first.cancel, first.dripfeed) == (True, False, True)
    assert first.description == "Fast"
    assert first.extras == {"average_time": "2 hours"}
    assert second.id == "5f1a2b3c4d5e6f7a8b9c0d1e"
    assert second.max == 10**6
    assert second.cancel is False
    assert second.type is ServiceType.DEFAULT


def test_unreadable_service_entries_are_left_out() -> None:
    answer = [{"service": 1, "name": "ok", "rate": "1", "min": 1, "max": 2},
              {"service": 2, "name": "no rate"}, "garbage"]  # fmt: skip
    assert [s.id for s in parsing.parse_services(answer, "USD")] == ["1"]


def test_seed_single_status() -> None:
    answer = loads('{"charge": "0.27819", "start_count": "3572", "status": "Partial",'
                   ' "remains": "157", "currency": "USD"}')  # fmt: skip
    status = parsing.parse_status("23501", answer, "USD")
    assert isinstance(status, OrderStatus)
    assert status.state is OrderState.PARTIAL
    assert status.raw_status == "Partial"
    assert status.charge is not None
    assert status.charge.amount == Decimal("0.27819")
    assert (status.start_count, status.remains) == (3572, 157)


def test_seed_multi_status_with_unknown_id() -> None:
    answer = loads("""{"1": {"charge": "0.27819", "start_count": "3572", "status": "Partial",
      "remains": "157", "currency": "USD"}, "10": {"error": "Incorrect order ID"},
      "100": {"charge": "1.44219", "start_count": "234", "status": "In progress",
      "remains": "10", "currency": "USD"}}""")
    result = parsing.parse_status_batch(["1", "10", "100"], answer, "USD")
    assert isinstance(result["1"], OrderStatus)
    assert isinstance(result["10"], NotFound)
    in_progress = result["100"]
    assert isinstance(in_progress, OrderStatus)
    assert in_progress.state is OrderState.IN_PROGRESS


def test_multi_status_with_numbers_bare_string_errors_and_drip_feed_extras() -> None:
    answer = loads("""{"7": {"charge": 0.5, "start_count": 0, "status": "Inprogress",
      "remains": 10}, "8": "Incorrect order ID",
      "9": {"status": "Active", "runs": "3", "orders": [11, 12], "charge": "1"}}""")
    result = parsing.parse_status_batch(["7", "8", "9"], answer, "USD")
    seven, eight, nine = result["7"], result["8"], result["9"]
    assert isinstance(seven, OrderStatus)
    assert seven.charge is not None
    assert seven.charge.amount == Decimal("0.5")
    assert seven.charge.currency == "USD"
    assert isinstance(eight, NotFound)
    assert isinstance(nine, OrderStatus)
    assert nine.extras == {"runs": "3", "orders": [11, 12]}


def test_unknown_status_text_survives_as_raw() -> None:
    status = parsing.parse_status("1", {"status": "Waiting for moon", "charge": "1"}, "USD")
    assert isinstance(status, OrderStatus)
    assert status.state is OrderState.UNKNOWN
    assert status.raw_status == "Waiting for moon"


def test_refill_single_answers() -> None:
    assert parsing.parse_refill("1", {"refill": "1"}) == Refill(order="1", refill="1")
    created = parsing.parse_refill("1", {"refill": 1, "success": "Refill request created"})
    assert created == Refill(order="1", refill="1")
    assert isinstance(parsing.parse_refill("1", {"error": "Order not eligible for refill."}),
                      ProviderError)  # fmt: skip


def test_refill_multi_answers() -> None:
    answer = loads("""[{"order": 1, "refill": 1}, {"order": 2, "refill": "ab12"},
      {"order": 3, "refill": {"error": "Incorrect order ID"}},
      {"order": 4, "refill": "Incorrect order ID"}]""")
    result = parsing.parse_refill_batch(["1", "2", "3", "4"], answer)
    assert result["1"] == Refill(order="1", refill="1")
    assert result["2"] == Refill(order="2", refill="ab12")
    assert isinstance(result["3"], NotFound)
    assert isinstance(result["4"], NotFound)


def test_refill_status_answers() -> None:
    done = parsing.parse_refill_status("1", {"status": "Completed"})
    assert done == RefillStatus(refill="1", state=RefillState.COMPLETED, raw_status="Completed")
    answer = loads("""[{"refill": 1, "status": "Completed"}, {"refill": 2, "status": "Rejected"},
      {"refill": 3, "status": {"error": "Refill not found"}},
      {"refill": 4, "status": "Refill not found"}, {"refill": 5, "status": "Awaiting"}]""")
    result = parsing.parse_refill_status_batch(["1", "2", "3", "4", "5"], answer)
    assert isinstance(result["2"], RefillStatus)
    assert result["2"].state is RefillState.REJECTED
    assert isinstance(result["3"], NotFound)
    assert isinstance(result["4"], NotFound)
    assert isinstance(result["5"], RefillStatus)
    assert result["5"].state is RefillState.PENDING


def test_cancel_answer_shapes() -> None:
    seed = loads('[{"order": 9, "cancel": {"error": "Incorrect order ID"}},'
                 ' {"order": 2, "cancel": 1}]')  # fmt: skip
    result = parsing.parse_cancel_batch(["9", "2"], seed)
    assert isinstance(result["9"], NotFound)
    assert result["2"] == CancelResult(order="2")

    listed = parsing.parse_cancel_batch(["1", "2"], {"canceled": [1]})
    assert listed["1"] == CancelResult(order="1")
    assert isinstance(listed["2"], ProviderError)

    assert parsing.parse_cancel_batch(["5"], {"cancel": 1}) == {"5": CancelResult(order="5")}
    assert parsing.parse_cancel_batch(["5"], {"success": "true"}) == {"5": CancelResult(order="5")}


def test_balance() -> None:
    balance = parsing.parse_balance(loads('{"balance": "100.84292", "currency": "USD"}'), "EUR")
    assert balance.amount == Decimal("100.84292")
    assert balance.currency == "USD"
    assert parsing.parse_balance({"balance": 5}, "EUR").currency == "EUR"


def test_top_level_failure_is_an_error_without_success_keys() -> None:
    assert parsing.is_failure({"error": "Incorrect request"}, ("order",)) == "Incorrect request"
    assert parsing.is_failure({"order": 1, "error": "x"}, ("order",)) is None
    assert parsing.is_failure([{"error": "x"}], ()) is None


def test_placed_order_needs_an_order_id() -> None:
    assert parsing.parse_placed({"order": 23501}).order == "23501"
    assert parsing.parse_placed({"order": "ord_9f8e"}).order == "ord_9f8e"
    with pytest.raises(ProviderError):
        parsing.parse_placed({"status": "ok"})


def test_a_list_is_required_for_services() -> None:
    with pytest.raises(ProviderError):
        parsing.parse_services({"unexpected": True}, "USD")


def test_items_with_unreadable_ids_are_left_out_not_raised() -> None:
    answer = loads('[{"order": null, "refill": 5}, {"order": "1", "refill": "6"}]')
    assert parsing.parse_refill_batch(["1", "2"], answer) == {"1": Refill(order="1", refill="6")}
    statuses = parsing.parse_status_batch(["3"], {"": {"status": "Pending"}, "3": "x y"}, "USD")
    assert isinstance(statuses["3"], ProviderError)
    assert parsing.parse_cancel_batch(["1"], {"canceled": [None, 1]}) == {
        "1": CancelResult(order="1")
    }


async def test_a_chunk_that_cannot_be_read_fails_its_ids_only() -> None:
    from providers.base import batched

    async def odd(chunk: list[str]) -> dict[str, object]:
        if "bad" in chunk:
            raise ValueError("odd answer")
        return dict.fromkeys(chunk, "ok")

    result = await batched(["a", "bad", "c"], odd, size=1)
    assert result["a"] == "ok"
    assert isinstance(result["bad"], ProviderError)
    assert result["c"] == "ok"
