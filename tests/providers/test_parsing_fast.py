"""The fast paths of status and ``add`` answers give exactly what the validating path gives."""

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from providers import fast_answers, parsing
from providers.amounts import read_decimal
from providers.errors import ProviderError
from providers.values import to_decimal, to_int


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def same(fast: object, validated: object) -> None:
    """Equal models with equal field values down to each Decimal's digits, and the same fields
    set; or errors of the same class and text."""
    assert type(fast) is type(validated)
    if isinstance(validated, ProviderError):
        assert str(fast) == str(validated)
        return
    assert repr(fast) == repr(validated)
    assert fast == validated
    assert isinstance(fast, BaseModel)
    assert isinstance(validated, BaseModel)
    assert fast.model_fields_set == validated.model_fields_set
    assert fast.model_dump_json() == validated.model_dump_json()
    charge = getattr(validated, "charge", None)
    if charge is not None:
        assert fast.charge.amount.as_tuple() == charge.amount.as_tuple()  # type: ignore[attr-defined]
        assert fast.charge.model_fields_set == charge.model_fields_set  # type: ignore[attr-defined]


STATUS_ITEMS = [
    '{"charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": "157",'
    ' "currency": "USD"}',
    '{"charge": 0.27819, "start_count": 3572, "status": "In progress", "remains": 157}',
    '{"charge": 0.90, "start_count": 0, "status": "completed", "remains": 0, "currency": "eur"}',
    '{"charge": "0.90", "status": "Inprogress", "currency": " usd "}',
    '{"charge": "1.2E+3", "start_count": "1e3", "status": "Pending", "remains": "157.0"}',
    '{"charge": "1,234.50", "start_count": "1,234", "status": "Pending", "remains": "1 234"}',
    '{"charge": "0,90", "status": "Pending"}',
    '{"charge": "1,234", "status": "Pending"}',
    '{"charge": "", "start_count": "", "status": "Pending", "remains": ""}',
    '{"charge": null, "start_count": null, "status": null, "remains": null, "currency": null}',
    '{"charge": "-0.5", "start_count": "-3", "status": "Canceled", "remains": -2}',
    '{"charge": -0.5, "start_count": " 12 ", "status": "Refunded", "remains": "+4"}',
    '{"charge": "abc", "status": "Pending"}',
    '{"charge": "0.5", "start_count": "1.5", "status": "Pending"}',
    '{"charge": "0.5", "start_count": true, "status": "Pending"}',
    '{"charge": true, "status": "Pending"}',
    '{"charge": "NaN", "status": "Pending"}',
    '{"charge": NaN, "status": "Pending"}',
    '{"charge": Infinity, "status": "Pending"}',
    '{"charge": "0.5", "status": "Stuck in the queue"}',
    '{"charge": "0.5", "status": ""}',
    '{"charge": "0.5"}',
    "{}",
    '{"charge": "0.5", "status": {"en": "Completed"}}',
    '{"charge": "0.5", "status": 3}',
    '{"charge": "0.5", "currency": "", "status": "Pending"}',
    '{"charge": "0.5", "currency": 5, "status": "Pending"}',
    '{"charge": "0.5", "status": "Completed", "runs": "3", "orders": [1, 2], "expiry": null}',
    '{"charge": "0.5", "status": "Completed", "error": ""}',
    '{"charge": "0.5", "status": "Completed", "error": "Incorrect order ID"}',
    '{"error": "Incorrect order ID"}',
    '"Incorrect order ID"',
    "null",
    "[]",
    '{"charge": "00012.50", "start_count": "0012", "status": "PARTIAL", "remains": "٣"}',
    '{"charge": "12.", "start_count": "12.", "status": "Pending"}',
    '{"charge": ".5", "status": "Pending"}',
    '{"charge": 12345678901234567890123, "remains": 99999999999999999999999, "status": "x"}',
]


@pytest.mark.parametrize("text", STATUS_ITEMS)
@pytest.mark.parametrize("order_id", ["23501", 23501, " 5f1b2c3d4e5f6a7b8c9d0e1f "])
def test_status_fast_path_equals_validating_path(text: str, order_id: Any) -> None:
    item = loads(text)
    same(
        parsing.parse_status(order_id, item, "USD"),
        parsing.parse_status_validated(order_id, item, "USD"),
    )


@pytest.mark.parametrize("order_id", ["", "  ", None, True])
def test_status_of_an_unreadable_order_id_is_the_validating_paths_error(order_id: Any) -> None:
    item = loads(STATUS_ITEMS[0])
    same(
        parsing.parse_status(order_id, item, "USD"),
        parsing.parse_status_validated(order_id, item, "USD"),
    )


def test_status_keys_that_are_not_text_take_the_validating_path() -> None:
    item = {"charge": "0.5", "status": "Completed", 3: "x"}
    same(parsing.parse_status("1", item, "USD"), parsing.parse_status_validated("1", item, "USD"))


def test_status_batch_reads_each_item_as_the_validating_path_does() -> None:
    answer = {str(n): loads(text) for n, text in enumerate(STATUS_ITEMS)}
    ids = [*answer, "999"]
    batch = parsing.parse_status_batch(ids, answer, "USD")
    assert list(batch) == list(answer)
    for order_id, status in batch.items():
        same(status, parsing.parse_status_validated(order_id, answer[order_id], "USD"))


PLACED = [
    '{"order": 23501}',
    '{"order": "23501"}',
    '{"order": " ord_5f1b "}',
    '{"order": 23501.0}',
    '{"order": 1e3}',
    '{"order": 23501.5}',
    '{"order": "23501", "charge": "0.9", "currency": "USD"}',
    '{"order": true}',
    '{"order": ""}',
    '{"order": "   "}',
    '{"order": null}',
    '{"order": [1]}',
    '{"error": "Not enough funds on balance"}',
    "{}",
]


@pytest.mark.parametrize("text", PLACED)
def test_placed_fast_path_equals_validating_path(text: str) -> None:
    answer = loads(text)
    try:
        fast: object = parsing.parse_placed(answer)
    except (ProviderError, ValueError) as exc:  # as before: a ValidationError escapes
        fast = exc
    try:
        validated: object = parsing.parse_placed_validated(answer)
    except (ProviderError, ValueError) as exc:
        validated = exc
    assert type(fast) is type(validated)
    if isinstance(validated, BaseModel):
        same(fast, validated)
    else:
        assert str(fast) == str(validated)


@pytest.mark.parametrize("text", STATUS_ITEMS[:4])
def test_the_common_status_shapes_take_the_fast_path(text: str) -> None:
    assert fast_answers.status("23501", loads(text), "USD") is not None


NUMBER_TEXTS = [
    "0",
    "00",
    "0012",
    "157",
    "157.0",
    "0.27819",
    "00012.50",
    "12.",
    ".5",
    "1.2E+3",
    "1e3",
    "-3",
    "+4",
    " 12 ",
    "1,234",
    "1 234",
    "\u0663",
    "\u0661\u0662.\u0665",  # Arabic-Indic digits
    "",
    "abc",
    "NaN",
    "1.2.3",
]


def _outcome(read: Any, text: str) -> tuple[object, object]:
    try:
        value = read(text)
    except ValueError as exc:
        return type(exc), str(exc)
    return type(value), value.as_tuple() if isinstance(value, Decimal) else value


@pytest.mark.parametrize("text", NUMBER_TEXTS)
def test_plain_digits_read_as_the_locale_rules_read_them(text: str) -> None:
    assert _outcome(to_decimal, text) == _outcome(read_decimal, text)
    whole = _outcome(lambda t: read_decimal(t, whole=True), text)
    if whole[0] is Decimal:
        amount = read_decimal(text, whole=True)
        if amount == amount.to_integral_value():
            assert _outcome(to_int, text) == (int, int(amount))
            return
    assert _outcome(to_int, text)[0] is not int
