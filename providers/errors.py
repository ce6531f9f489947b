"""What can go wrong talking to a panel, as one tree of exceptions.

Every upstream failure is translated into this tree at the adapter's edge, once::

    ProviderError
    ├── AuthenticationError        bad, missing or disabled API key
    ├── InsufficientFunds          the provider account cannot pay for the order
    ├── InvalidRequest             the panel refused the request as such
    │   ├── InvalidService         unknown or disabled service
    │   ├── InvalidQuantity        outside the service's min/max
    │   ├── InvalidLink            bad link
    │   ├── LinkBusy               the panel runs an order for the link already
    │   └── MissingField           a field the service type needs is absent
    ├── NotFound                   unknown order or refill id
    ├── NotSupported               the order or service cannot do that (refill, cancel, drip-feed)
    ├── RateLimited                throttled; ``retry_after`` seconds when the panel says
    ├── Unavailable                transient: network, timeout, 5xx, HTML, malformed JSON, redirect
    └── Ambiguous                  a write was sent and its outcome is unknown

``not_placed`` tells whether an `add` that failed this way proves the order was not placed
upstream, which is the only case where failing the order or trying another provider is safe.
An adapter's `add` raises nothing else than such a proof or `Ambiguous`: a panel text that the
table below does not know, or an HTTP status it does not explain, is `Ambiguous` there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


class ProviderError(Exception):
    """Base of every provider failure. ``message`` is the panel's text, safe to show."""

    #: Whether a failed `add` with this error proves no order was placed upstream.
    not_placed: bool = False

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider

    def __str__(self) -> str:
        return f"{self.provider}: {self.message}" if self.provider else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, provider={self.provider!r})"


class AuthenticationError(ProviderError):
    """The panel refused the API key."""

    not_placed = True


class InsufficientFunds(ProviderError):
    """The provider account's balance cannot pay for the order."""

    not_placed = True


class InvalidRequest(ProviderError):
    """The panel refused the request; sending it elsewhere unchanged is usually pointless."""

    not_placed = True


class InvalidService(InvalidRequest):
    """The service is unknown or disabled on this panel."""


class InvalidQuantity(InvalidRequest):
    """The quantity is outside the service's limits."""


class InvalidLink(InvalidRequest):
    """The link is malformed."""


class LinkBusy(InvalidRequest):
    """The panel already runs an order for the link (one per link at a time): another panel,
    or this one later, may take it."""


class MissingField(InvalidRequest):
    """A field the service type needs was not sent."""


class NotFound(ProviderError):
    """The panel does not know the order or refill id."""


class NotSupported(ProviderError):
    """The order or service does not offer this (refill, cancel, drip-feed...)."""

    not_placed = True


class RateLimited(ProviderError):
    """The panel throttled the call."""

    not_placed = True

    def __init__(
        self, message: str, *, provider: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, provider=provider)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """A transient fault: network, timeout, HTTP 5xx, an HTML page, malformed JSON, a redirect.

    For `add`, only raised when the request provably never reached the panel (``not_placed``);
    otherwise the adapter raises `Ambiguous`.
    """

    def __init__(
        self, message: str, *, provider: str | None = None, not_placed: bool = False
    ) -> None:
        super().__init__(message, provider=provider)
        self.not_placed = not_placed


class Ambiguous(ProviderError):
    """A write reached the panel, or may have, and its outcome is unknown.

    The order may or may not exist upstream: record it as unconfirmed, never retry elsewhere.
    """


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


# Panel error texts (see PANELS.md), matched on the normalised text: lower case, punctuation
# and repeated spaces folded away. The first pattern that matches wins, so specific ones first.
ERROR_TEXTS: Sequence[tuple[str, type[ProviderError]]] = (
    (r"api key|api is disable|user not found|unauthori[sz]ed|invalid key"
     r"|account (is )?(suspended|blocked|banned|disabled)", AuthenticationError),
    (r"not enough funds|insufficient (balance|funds)|low balance|spend(ing)? limit",
     InsufficientFunds),
    (r"rate limit|too many requests|throttl", RateLimited),
    (r"quantity|minimal|maximum|minimum amount", InvalidQuantity),
    (r"dripfeed|drip feed|not eligible|not support|cannot be (canceled|cancelled|refilled)"
     r"|cancel (is )?not (available|allowed)|refill (is )?not (available|allowed)",
     NotSupported),
    (r"service id|incorrect service|service (is )?(temporarily )?disabled|service not found"
     r"|service (does )?not exist|invalid service", InvalidService),
    (r"active order|link duplicate", LinkBusy),
    (r"link|url", InvalidLink),
    (r"incorrect order id|order not found|refill not found|refill request not found"
     r"|incorrect refill|not found", NotFound),
    (r"required|missing", MissingField),
    (r"internal server error|server error|try again later|maintenance|temporarily unavailable",
     Unavailable),
    (r"incorrect request|invalid parameters|action is invalid|provide order"
     r"|bad request|invalid request|^bad ", InvalidRequest),
)  # fmt: skip

_COMPILED = tuple((re.compile(pattern), kind) for pattern, kind in ERROR_TEXTS)

# Some panels answer with message keys instead of texts (see PANELS.md); each known key stands
# for the text a panel shows, which is what clients are told. Matched on the whole stripped
# answer; ``{field}`` is the key's field, as a word ("Link is required"). Unknown keys stay raw.
ERROR_KEYS: Sequence[tuple[str, str]] = (
    (r"auth\.error\.invalid_key", "Invalid API key"),
    (r"neworder\.error\.not_enough_funds", "Not enough funds on balance"),
    (r"neworder\.error\.service_not_found", "Incorrect service ID"),
    (r"neworder\.error\.link_duplicate",
     "You have active order with this link. Please wait until order being completed."),
    (r"neworder\.error\.link_invalid", "Incorrect link"),
    (r"neworder\.error\.min_quantity", "Quantity less than minimal"),
    (r"neworder\.error\.max_quantity", "Quantity more than maximum"),
    (r"neworder\.error\.dripfeed_not_supported",
     "This services does not support Dripfeed feature!"),
    (r"neworder\.error\.(?P<field>[a-z][a-z_]*)_required", "{field} is required"),
)  # fmt: skip

_KEYS = tuple((re.compile(pattern, re.IGNORECASE), text) for pattern, text in ERROR_KEYS)


def panel_text(text: str) -> str:
    """The text a panel shows for `text`: a known message key translated, anything else as is.

    >>> panel_text("neworder.error.link_required")
    'Link is required'
    """
    stripped = text.strip()
    for pattern, template in _KEYS:
        match = pattern.fullmatch(stripped)
        if match:
            field = (match.groupdict().get("field") or "").replace("_", " ").capitalize()
            return template.format(field=field)
    return text


def classify_error_text(text: str) -> type[ProviderError]:
    """The error class for a panel's error text; unknown texts are plain `ProviderError`.

    >>> classify_error_text("Invalid API key.").__name__
    'AuthenticationError'
    >>> classify_error_text("neworder.error.not_enough_funds").__name__
    'InsufficientFunds'
    """
    normalised = _normalise(text)
    for pattern, kind in _COMPILED:
        if pattern.search(normalised):
            return kind
    return ProviderError


def error_from_text(text: str, *, provider: str | None = None) -> ProviderError:
    """Build the typed error for a panel's error text (a message key becomes its text)."""
    message = panel_text(text)
    return classify_error_text(message)(message, provider=provider)
