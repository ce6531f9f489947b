from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from providers.amounts import UnreadableAmount
from providers.models import (
    REQUIRED_FIELDS,
    Money,
    OrderRequest,
    OrderState,
    OrderStatus,
    RefillState,
    Service,
    ServiceType,
    to_bool,
    to_decimal,
    to_id,
    to_int,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.27819", Decimal("0.27819")), (8, Decimal(8)), (0.9, Decimal("0.9")),
     (" 1,000.50 ", Decimal("1000.50")), (Decimal("0.00000001"), Decimal("0.00000001"))],
)  # fmt: skip
def test_money_values_parse_exactly(raw: object, expected: Decimal) -> None:
    value = to_decimal(raw)
    assert value == expected
    assert isinstance(value, Decimal)


@pytest.mark.parametrize("raw", ["abc", "", "NaN", "inf", True, None, [1]])
def test_money_rejects_what_is_not_an_amount(raw: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        to_decimal(raw)


def test_counts_accept_strings_and_huge_values() -> None:
    assert to_int("3572") == 3572
    assert to_int("157.0") == 157
    assert to_int(10**15) == 10**15
    assert to_int("99999999999999999999") == 99999999999999999999
    with pytest.raises(ValueError, match="whole"):
        to_int("1.5")


@pytest.mark.parametrize("raw", ["1e1000000", "9" * 31, "1" + "0" * 30, "1e30", "1.5e40"])
def test_counts_of_more_than_30_digits_are_none_and_read_at_once(raw: str) -> None:
    # "1e1000000" read as an integer took half a minute of the event loop.
    with pytest.raises(UnreadableAmount, match="over 30 digits"):
        to_int(raw)
    assert to_int("0" * 40 + "9" * 30) == int("9" * 30)
    assert to_int("1e29") == 10**29


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), ("true", True), (1, True), ("1", True), ("True", True), ("0", False),
     (0, False), ("false", False), (None, False), ("", False)],
)  # fmt: skip
def test_flags_in_every_spelling(raw: object, expected: bool) -> None:
    assert to_bool(raw) is expected


def test_ids_are_canonical_text() -> None:
    assert to_id(23501) == "23501"
    assert to_id(" 23501 ") == "23501"
    assert to_id("5f1a2b3c4d5e6f7a8b9c0d1e") == "5f1a2b3c4d5e6f7a8b9c0d1e"
    with pytest.raises(ValueError, match="id"):
        to_id("")


def test_service_types_parse_tolerantly_and_unknown_survives() -> None:
    assert ServiceType.parse("Custom Comments") is ServiceType.CUSTOM_COMMENTS
    assert ServiceType.parse("custom_comments") is ServiceType.CUSTOM_COMMENTS
    assert ServiceType.parse("mentions with hashtags") is ServiceType.MENTIONS_WITH_HASHTAGS
    assert ServiceType.parse("Something New") is ServiceType.UNKNOWN


@pytest.mark.parametrize(
    ("raw", "state"),
    [("Pending", OrderState.PENDING), ("In progress", OrderState.IN_PROGRESS),
     ("Inprogress", OrderState.IN_PROGRESS), ("IN PROGRESS", OrderState.IN_PROGRESS),
     ("Processing", OrderState.IN_PROGRESS), ("Active", OrderState.IN_PROGRESS),
     ("Awaiting", OrderState.PENDING), ("Running", OrderState.IN_PROGRESS),
     ("running", OrderState.IN_PROGRESS),
     ("Completed", OrderState.COMPLETED), ("Complete", OrderState.COMPLETED),
     ("Partial", OrderState.PARTIAL), ("Canceled", OrderState.CANCELED),
     ("Cancelled", OrderState.CANCELED), ("Refunded", OrderState.REFUNDED),
     ("Paused", OrderState.PAUSED), ("Expired", OrderState.EXPIRED),
     ("Stuck in space", OrderState.UNKNOWN), ("", OrderState.UNKNOWN)],
)  # fmt: skip
def test_order_statuses_normalise(raw: str, state: OrderState) -> None:
    assert OrderState.parse(raw) is state


@pytest.mark.parametrize(
    ("raw", "state"),
    [("Pending", RefillState.PENDING), ("Awaiting", RefillState.PENDING),
     ("In progress", RefillState.IN_PROGRESS), ("Processing", RefillState.IN_PROGRESS),
     ("Completed", RefillState.COMPLETED), ("Processed", RefillState.COMPLETED),
     ("Complete", RefillState.COMPLETED), ("Canceled", RefillState.CANCELED),
     ("Rejected", RefillState.REJECTED), ("Cancelled", RefillState.CANCELED),
     ("Failed", RefillState.FAILED), ("Error", RefillState.FAILED), ("??", RefillState.UNKNOWN)],
)  # fmt: skip
def test_refill_statuses_normalise(raw: str, state: RefillState) -> None:
    assert RefillState.parse(raw) is state


def test_unknown_status_keeps_its_raw_text() -> None:
    status = OrderStatus(order=1, state=OrderState.parse("Weird"), raw_status="Weird")
    assert status.state is OrderState.UNKNOWN
    assert status.raw_status == "Weird"
    assert not status.state.final


def test_final_states() -> None:
    assert {s for s in OrderState if s.final} == {
        OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELED, OrderState.REFUNDED,
        OrderState.EXPIRED,
    }  # fmt: skip


# One valid request per type; each must carry exactly the fields of PANELS.md.
VALID: dict[ServiceType, dict[str, object]] = {
    ServiceType.DEFAULT: {"link": "https://x.com/a", "quantity": 100},
    ServiceType.PACKAGE: {"link": "https://x.com/a"},
    ServiceType.SEO: {"link": "https://a.com", "quantity": 100, "keywords": ["a", "b"]},
    ServiceType.CUSTOM_COMMENTS: {"link": "https://ig.com/p/1", "comments": "Nice\r\nGreat"},
    ServiceType.CUSTOM_COMMENTS_PACKAGE: {"link": "https://ig.com/p/1", "comments": "Nice"},
    ServiceType.MENTIONS: {"link": "https://ig.com/p/1", "usernames": ["a", "b"]},
    ServiceType.MENTIONS_WITH_HASHTAGS: {
        "link": "https://ig.com/p/1", "quantity": 100, "usernames": "a\nb", "hashtags": "#x\n#y"
    },
    ServiceType.MENTIONS_CUSTOM_LIST: {"link": "https://ig.com/p/1", "usernames": "a\nb"},
    ServiceType.MENTIONS_HASHTAG: {"link": "https://ig.com/p/1", "quantity": 100, "hashtag": "x"},
    ServiceType.MENTIONS_USER_FOLLOWERS: {
        "link": "https://ig.com/p/1", "quantity": 100, "username": "someone"
    },
    ServiceType.MENTIONS_MEDIA_LIKERS: {
        "link": "https://ig.com/p/1", "quantity": 100, "media": "https://ig.com/p/2"
    },
    ServiceType.COMMENT_LIKES: {"link": "https://ig.com/p/1", "quantity": 100, "username": "u"},
    ServiceType.COMMENT_REPLIES: {"link": "https://ig.com/p/1", "username": "u", "comments": "hi"},
    ServiceType.POLL: {"link": "https://t.me/c/1", "quantity": 100, "answer_number": 2},
    ServiceType.INVITES_FROM_GROUPS: {"link": "https://t.me/c", "quantity": 100, "groups": "g1"},
    ServiceType.WEB_TRAFFIC: {
        "link": "https://a.com", "quantity": 1000, "country": "US", "device": "1",
        "type_of_traffic": "1", "google_keyword": "shoes",
    },
    ServiceType.SUBSCRIPTIONS: {
        "username": "someone", "min": 100, "max": 200, "posts": 5, "delay": 30,
        "expiry": date(2026, 12, 31),
    },
}  # fmt: skip


def test_every_service_type_has_a_valid_example() -> None:
    assert set(VALID) == set(REQUIRED_FIELDS) - {ServiceType.UNKNOWN}


@pytest.mark.parametrize("kind", list(VALID))
def test_valid_order_of_every_type_sends_its_fields(kind: ServiceType) -> None:
    request = OrderRequest(service="7", service_type=kind, **VALID[kind])
    fields = request.fields()
    assert fields["service"] == "7"
    assert set(REQUIRED_FIELDS[kind]) <= set(fields)
    assert all(isinstance(v, str) for v in fields.values())


@pytest.mark.parametrize(
    ("kind", "missing"), [(kind, field) for kind in VALID for field in REQUIRED_FIELDS[kind]]
)
def test_order_missing_a_required_field_is_rejected(kind: ServiceType, missing: str) -> None:
    fields = {k: v for k, v in VALID[kind].items() if k != missing}
    with pytest.raises(ValidationError, match=missing):
        OrderRequest(service="7", service_type=kind, **fields)


def test_custom_comments_without_comments_is_rejected() -> None:
    with pytest.raises(ValidationError, match="needs comments"):
        OrderRequest(service="2", service_type="Custom Comments", link="https://ig.com/p/1")


def test_poll_without_answer_number_is_rejected() -> None:
    with pytest.raises(ValidationError, match="answer_number"):
        OrderRequest(service="3", service_type="Poll", link="https://t.me/c/1", quantity=100)


def test_default_order_without_quantity_is_rejected() -> None:
    with pytest.raises(ValidationError, match="quantity"):
        OrderRequest(service="1", link="https://instagram.com/x")


def test_fields_a_type_does_not_take_are_rejected() -> None:
    with pytest.raises(ValidationError, match="does not take comments"):
        OrderRequest(service="1", link="https://x", quantity=10, comments="hi")


@pytest.mark.parametrize(
    "fields",
    [{"quantity": 0}, {"quantity": -5}, {"quantity": "ten"}, {"runs": 3},
     {"runs": 3, "interval": 0}],
)  # fmt: skip
def test_bad_quantities_and_half_drip_feed_are_rejected(fields: dict[str, object]) -> None:
    base: dict[str, object] = {"link": "https://x", "quantity": 100}
    with pytest.raises(ValidationError):
        OrderRequest(service="1", **{**base, **fields})


def test_subscription_expiry_must_be_day_month_year() -> None:
    with pytest.raises(ValidationError, match="d/m/Y"):
        OrderRequest(
            service="9", service_type="Subscriptions", username="u", min=1, max=2,
            expiry="2026-12-31",
        )  # fmt: skip


def _service(kind: ServiceType, rate: str) -> Service:
    return Service(id=1, name="x", type=kind, rate=Money(amount=rate), min=1, max=10**6)


def test_cost_is_rate_per_thousand_times_quantity() -> None:
    request = OrderRequest(service="1", link="https://x", quantity=1500)
    cost = _service(ServiceType.DEFAULT, "0.90").cost(request)
    assert cost == Money(amount=Decimal("1.35"), currency="USD")


def test_drip_feed_cost_is_runs_times_quantity() -> None:
    request = OrderRequest(service="1", link="https://x", quantity=1000, runs=5, interval=30)
    assert _service(ServiceType.DEFAULT, "2").cost(request).amount == Decimal(10)


def test_package_cost_is_the_flat_rate() -> None:
    request = OrderRequest(service="1", service_type="Package", link="https://x")
    assert _service(ServiceType.PACKAGE, "4.5").cost(request).amount == Decimal("4.5")


def test_custom_comments_cost_counts_comment_lines() -> None:
    request = OrderRequest(
        service="1", service_type="Custom Comments", link="https://x", comments="a\r\nb\n\nc"
    )
    assert request.units == 3
    assert _service(ServiceType.CUSTOM_COMMENTS, "8").cost(request).amount == Decimal("0.024")


def test_money_keeps_currency_upper_case_and_is_exact() -> None:
    money = Money(amount="100.84292", currency="eur")
    assert money.currency == "EUR"
    assert money.amount == Decimal("100.84292")
    assert str(money) == "100.84292 EUR"
