"""What can go wrong in a call, independent of how a panel words it.

The state machine raises `PanelError` with a `Problem`; each profile turns the problem into its
own text and HTTP status, so the rules live in one place and the wording in data.
"""

from __future__ import annotations

from enum import StrEnum


class Problem(StrEnum):
    """A reason a call (or one id of a batch call) failed."""

    BAD_KEY = "bad_key"
    BAD_REQUEST = "bad_request"
    BAD_ACTION = "bad_action"
    WRONG_ENCODING = "wrong_encoding"
    TOO_MANY_IDS = "too_many_ids"
    NO_IDS = "no_ids"
    BAD_SERVICE = "bad_service"
    FIELD_REQUIRED = "field_required"
    BAD_LINK = "bad_link"
    BAD_QUANTITY = "bad_quantity"
    QUANTITY_LOW = "quantity_low"
    QUANTITY_HIGH = "quantity_high"
    NO_DRIPFEED = "no_dripfeed"
    DUPLICATE_LINK = "duplicate_link"
    NO_FUNDS = "no_funds"
    BAD_ORDER = "bad_order"
    BAD_REFILL = "bad_refill"
    NOT_REFILLABLE = "not_refillable"
    NOT_CANCELABLE = "not_cancelable"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"


class PanelError(Exception):
    """A call the panel refuses; `params` fill the profile's text (``{min}``, ``{field}``...)."""

    def __init__(self, problem: Problem, **params: object) -> None:
        super().__init__(problem.value, params)
        self.problem = problem
        self.params = params

    def __repr__(self) -> str:
        return f"PanelError({self.problem.value}, {self.params!r})"
