"""The idempotency fingerprint: what makes two requests for one key the same order. It is
stored with the key's claim, so it must not change between releases either."""

from __future__ import annotations

from gateway.orders.validation import fingerprint
from gateway.routing import Need

LINK = "https://instagram.com/p/1"


def test_a_stored_fingerprint_stays_valid_across_releases() -> None:
    # sha256 of {"fields": {"link": ..., "quantity": "100"}, "needs": ["refill"], "service": 7}
    # as JSON with sorted keys: a claim written by an older release still matches its retry.
    assert fingerprint(7, {"link": LINK, "quantity": 100}, frozenset({Need.REFILL})) == (
        "57ff87db1587bacc59eb7598bcbe54122c055c3af477288f94b1fe80abf109a1"
    )


def test_the_order_of_the_fields_does_not_matter() -> None:
    one = fingerprint(7, {"link": LINK, "quantity": 100, "runs": 3}, frozenset())
    assert fingerprint(7, {"runs": 3, "quantity": 100, "link": LINK}, frozenset()) == one
    needs = frozenset({Need.REFILL, Need.CANCEL})
    assert fingerprint(7, {"link": LINK}, needs) == fingerprint(7, {"link": LINK}, needs)


def test_service_type_and_empty_fields_are_not_part_of_the_request() -> None:
    plain = fingerprint(7, {"link": LINK, "quantity": 100}, frozenset())
    # The group id is the service; a sent "service" or "type" field says nothing more.
    assert fingerprint(7, {"link": LINK, "quantity": 100, "service": "9"}, frozenset()) == plain
    assert fingerprint(7, {"link": LINK, "quantity": 100, "type": "Default"}, frozenset()) == plain
    assert fingerprint(7, {"link": LINK, "quantity": 100, "runs": None}, frozenset()) == plain
    assert fingerprint(7, {"link": LINK, "quantity": 100, "service": None}, frozenset()) == plain


def test_numbers_and_their_text_are_the_same_field() -> None:
    sent = fingerprint(7, {"link": LINK, "quantity": "100"}, frozenset())
    assert fingerprint(7, {"link": LINK, "quantity": 100}, frozenset()) == sent
    assert fingerprint(7, {"link": LINK, "quantity": 101}, frozenset()) != sent
    assert fingerprint(7, {"link": LINK + "2", "quantity": 100}, frozenset()) != sent
