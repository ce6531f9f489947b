"""Every provider error carries the panel's text and the provider's name, whatever its class:
they are what the ledger's attempts, the logs and the client's answer show."""

from __future__ import annotations

import pytest

from providers.errors import (
    Ambiguous,
    AuthenticationError,
    InsufficientFunds,
    InvalidLink,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
)

CLASSES = [ProviderError, AuthenticationError, InsufficientFunds, InvalidLink, NotFound, Ambiguous]


@pytest.mark.parametrize("kind", CLASSES)
def test_an_error_keeps_its_text_and_provider(kind: type[ProviderError]) -> None:
    error = kind("Not enough funds", provider="alpha")
    assert error.message == "Not enough funds"
    assert error.provider == "alpha"
    assert error.args == ("Not enough funds",)
    assert str(error) == "alpha: Not enough funds"
    assert repr(error) == f"{kind.__name__}('Not enough funds', provider='alpha')"


def test_without_a_provider_the_text_stands_alone() -> None:
    error = ProviderError("Incorrect order ID")
    assert error.provider is None
    assert str(error) == "Incorrect order ID"


def test_rate_limited_keeps_text_provider_and_wait() -> None:
    error = RateLimited("Too many requests", provider="beta", retry_after=7.5)
    assert (error.message, error.provider, error.retry_after) == ("Too many requests", "beta", 7.5)
    assert error.args == ("Too many requests",)
    assert str(error) == "beta: Too many requests"
    assert RateLimited("slow down").retry_after is None
    assert RateLimited("slow down").not_placed


def test_unavailable_keeps_text_provider_and_proof() -> None:
    error = Unavailable("connection refused", provider="gamma", not_placed=True)
    assert (error.message, error.provider) == ("connection refused", "gamma")
    assert error.not_placed
    assert error.args == ("connection refused",)
    assert str(error) == "gamma: connection refused"
    assert not Unavailable("timed out", provider="gamma").not_placed, "unproven by default"
