"""Panels that answer with message keys (``neworder.error.link_duplicate``) are told to clients
in the words other panels use; the error's kind is the same either way."""

from __future__ import annotations

import pytest

from providers.errors import (
    AuthenticationError,
    InsufficientFunds,
    InvalidLink,
    InvalidQuantity,
    InvalidService,
    LinkBusy,
    MissingField,
    NotSupported,
    ProviderError,
    classify_error_text,
    error_from_text,
    panel_text,
)
from providers.simulator.profiles import JSON

KEYS = [
    ("auth.error.invalid_key", "Invalid API key", AuthenticationError),
    ("neworder.error.not_enough_funds", "Not enough funds on balance", InsufficientFunds),
    ("neworder.error.service_not_found", "Incorrect service ID", InvalidService),
    ("neworder.error.link_duplicate",
     "You have active order with this link. Please wait until order being completed.",
     LinkBusy),
    ("neworder.error.link_invalid", "Incorrect link", InvalidLink),
    ("neworder.error.min_quantity", "Quantity less than minimal", InvalidQuantity),
    ("neworder.error.max_quantity", "Quantity more than maximum", InvalidQuantity),
    ("neworder.error.dripfeed_not_supported", "This services does not support Dripfeed feature!",
     NotSupported),
    ("neworder.error.link_required", "Link is required", InvalidLink),
    ("neworder.error.quantity_required", "Quantity is required", InvalidQuantity),
    ("neworder.error.comments_required", "Comments is required", MissingField),
    ("neworder.error.answer_number_required", "Answer number is required", MissingField),
]  # fmt: skip


@pytest.mark.parametrize(("key", "text", "kind"), KEYS)
def test_a_known_key_becomes_the_panels_text(
    key: str, text: str, kind: type[ProviderError]
) -> None:
    assert panel_text(key) == text
    assert panel_text(f"  {key.upper()}\n") == text
    error = error_from_text(key, provider="gamma")
    assert (type(error), error.message, error.provider) == (kind, text, "gamma")
    assert classify_error_text(key) is kind, "the key and its text are the same kind of error"


def test_every_key_the_json_panel_sends_is_known() -> None:
    sent = {text.replace("{field}", "link") for text in JSON.errors.values()}
    keys = {text for text in sent if "." in text and " " not in text}
    assert len(keys) == 9
    for key in keys:
        assert panel_text(key) != key, key


@pytest.mark.parametrize(
    "text",
    ["neworder.error.something_new", "Incorrect link", "neworder.error.link_duplicate, twice",
     "error.link_duplicate", ""],
)  # fmt: skip
def test_anything_else_stays_as_the_panel_wrote_it(text: str) -> None:
    assert panel_text(text) == text
    assert error_from_text(text).message == text
