import pytest

from providers.errors import (
    Ambiguous,
    AuthenticationError,
    InsufficientFunds,
    InvalidLink,
    InvalidQuantity,
    InvalidRequest,
    InvalidService,
    LinkBusy,
    MissingField,
    NotFound,
    NotSupported,
    ProviderError,
    RateLimited,
    Unavailable,
    classify_error_text,
    error_from_text,
)

# Every panel text of PANELS.md, "Error texts seen in the wild".
TEXTS: list[tuple[str, type[ProviderError]]] = [
    ("Invalid API key", AuthenticationError),
    ("Invalid API key.", AuthenticationError),
    ("Missing API key", AuthenticationError),
    ("API is Disable for this user or User Not Found! Contact the Support", AuthenticationError),
    ("Not enough funds on balance", InsufficientFunds),
    # What a gateway of this kind answers a client account (another smm-gateway upstream).
    ("Your account is suspended", AuthenticationError),
    ("Daily spend limit reached", InsufficientFunds),
    ("Monthly spend limit reached", InsufficientFunds),
    ("Insufficient balance", InsufficientFunds),
    ("neworder.error.not_enough_funds", InsufficientFunds),
    ("Incorrect service ID", InvalidService),
    ("Service ID does not exists", InvalidService),
    ("Service temporarily disabled", InvalidService),
    ("Quantity must be between 50 and 10000", InvalidQuantity),
    ("Quantity less than minimal 1000", InvalidQuantity),
    ("Quantity more than maximum 1000", InvalidQuantity),
    ("Quantity must to be greater than or equal to minimum amount 100", InvalidQuantity),
    ("Incorrect link", InvalidLink),
    ("Bad Link", InvalidLink),
    ("Link is required", InvalidLink),
    ("You have active order with this link. Please wait until order being completed.",
     LinkBusy),
    ("neworder.error.link_duplicate", LinkBusy),
    ("Incorrect order ID", NotFound),
    ("Refill not found", NotFound),
    ("Refill Request Not found", NotFound),
    ("Order not eligible for refill.", NotSupported),
    ("This services does not support Dripfeed feature!", NotSupported),
    ("Incorrect request", InvalidRequest),
    ("Invalid parameters", InvalidRequest),
    ("This action is Invalid", InvalidRequest),
    ("Provide 'order' or 'orders' parameter", InvalidRequest),
    ("Rate limit exceeded. Max 60 requests per minute.", RateLimited),
    ("Internal server error", Unavailable),
    ("auth.error.invalid_key", AuthenticationError),
    ("neworder.error.service_not_found", InvalidService),
    ("neworder.error.min_quantity", InvalidQuantity),
    ("neworder.error.quantity_required", InvalidQuantity),
    ("neworder.error.comments_required", MissingField),
    ("neworder.error.dripfeed_not_supported", NotSupported),
    ("Bad Comments", InvalidRequest),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind"), TEXTS)
def test_panel_texts_map_to_the_error_tree(text: str, kind: type[ProviderError]) -> None:
    assert classify_error_text(text) is kind


@pytest.mark.parametrize("text", ["INVALID API KEY!!", "  invalid   api-key ", "Invalid_API_key"])
def test_matching_ignores_case_and_punctuation(text: str) -> None:
    assert classify_error_text(text) is AuthenticationError


def test_unknown_text_is_a_plain_provider_error() -> None:
    error = error_from_text("Something odd happened", provider="p1")
    assert type(error) is ProviderError
    assert error.message == "Something odd happened"
    assert str(error) == "p1: Something odd happened"


def test_errors_that_prove_the_order_was_not_placed() -> None:
    for kind in (AuthenticationError, InsufficientFunds, InvalidService, InvalidQuantity,
                 RateLimited, NotSupported):  # fmt: skip
        assert kind("x").not_placed, kind
    for kind_ in (Ambiguous, ProviderError, NotFound):
        assert not kind_("x").not_placed, kind_
    assert not Unavailable("timeout").not_placed
    assert Unavailable("refused", not_placed=True).not_placed


def test_rate_limited_carries_retry_after() -> None:
    assert RateLimited("slow down", retry_after=12.5).retry_after == 12.5


def test_repr_names_the_kind_and_provider() -> None:
    assert repr(InsufficientFunds("no money", provider="p")) == (
        "InsufficientFunds('no money', provider='p')"
    )
