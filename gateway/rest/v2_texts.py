"""The error texts of the v2 endpoint: the ones panel clients already know (PANELS.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.orders.outcomes import TRY_LATER
from gateway.routing import Exclusion, Quote

INVALID_KEY = "Invalid API key"
INCORRECT_REQUEST = "Incorrect request"
INCORRECT_ORDER = "Incorrect order ID"
INCORRECT_SERVICE = "Incorrect service ID"
REFILL_NOT_FOUND = "Refill not found"
NO_FUNDS = "Not enough funds on balance"
LINK_REQUIRED = "Link is required"
INCORRECT_LINK = "Incorrect link"
NO_DRIPFEED = "This services does not support Dripfeed feature!"
NOT_ALLOWED = "This action is Invalid"
"""A valid key whose scope does not cover the action (a read-only key placing an order)."""
TOO_MANY_IDS = "Too many IDs: up to 100 per request"
TOO_LARGE = "Request too large"
UNAVAILABLE = TRY_LATER
INTERNAL = "Internal server error"
ORDER_IN_PROGRESS = "An order with this idempotency key is being processed. Please try again later."
"""A retry while the key's first request is still placing its order (panels' own "please wait"
wording; the client retries and gets the order). A gateway behind another reads it as a
transient fault, never as "not placed"."""
KEY_REUSED = "This idempotency key was already used for a different order"
NO_CLIENT_BALANCE = "Balance is not available for this API key"
"""A client key without an account asking for a balance: the funds the gateway holds at its
panels are the operator's, never shown to a client (a key of a client account sees its
account's funds)."""
ACCOUNT_SUSPENDED = "Your account is suspended"
BALANCE_INCOMPLETE = "Balance temporarily unavailable: not every panel answered"
"""An operator's balance while a panel's could not be read: never a silently partial total."""
MAX_IDS = 100


def quantity_text(low: int, high: int) -> str:
    return f"Quantity must be between {low} and {high}"


def rate_limit_text(limit: int, per: str) -> str:
    """The throttling text clients (and this project's own adapters) recognise."""
    return f"Rate limit exceeded. Max {limit} requests per {per}."


# Provider failures whose panel text is the client's own mistake: shown as the panel said it.
_CLIENT_FAULTS = {"InvalidLink", "InvalidQuantity", "MissingField", "InvalidRequest"}


def failed_text(attempts: Sequence[Mapping[str, Any]]) -> str:
    """The text for an order every provider refused, from its recorded attempts."""
    errors = [str(a.get("error", "")) for a in attempts]
    for attempt in reversed(attempts):
        if attempt.get("error") in _CLIENT_FAULTS and attempt.get("message"):
            return str(attempt["message"])
    if errors and all(e == "InsufficientFunds" for e in errors):
        return NO_FUNDS
    if errors and all(e == "InvalidService" for e in errors):
        return INCORRECT_SERVICE
    # Every panel said the same thing of the order itself (drip-feed not offered, an order on
    # the link running already): asking again soon would get the same answer, so say it.
    for kind in ("NotSupported", "LinkBusy"):
        if errors and all(e == kind for e in errors) and attempts[-1].get("message"):
            return str(attempts[-1]["message"])
    return UNAVAILABLE


def no_candidate_text(quote: Quote, low: int, high: int) -> str:
    """The text for an order no member of the group could take."""
    reasons = {e.reason for e in quote.excluded}
    units = quote.request.units
    quantity_only = {Exclusion.QUANTITY_BELOW_MIN, Exclusion.QUANTITY_ABOVE_MAX}
    if units < low or units > high or (reasons and reasons <= quantity_only):
        return quantity_text(low, high)
    if Exclusion.NO_DRIPFEED in reasons and quote.request.dripfeed:
        return NO_DRIPFEED
    if Exclusion.INSUFFICIENT_BALANCE in reasons:
        return NO_FUNDS
    return UNAVAILABLE
