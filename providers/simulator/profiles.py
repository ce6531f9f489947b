"""Panel quirks as data: how each simulated panel takes requests and words its answers.

The client-side facts of each profile (what an adapter must do to talk to it):

============  ========  ===================================  ==============  ===================
profile       path      request                              cancel field    ids
============  ========  ===================================  ==============  ===================
``seed``      /api/v2   form POST, GET query or JSON body    ``orders``      ints
                                                             (or ``order``)
``sloppy``    /api/v2   form POST, GET query or JSON body    ``orders``      service: "123",
                                                             (or ``order``)  order: 24-hex str
``get_v1``    /api/v1   GET query string only                ``order``       ints
                                                             (one per call)
``json``      /api/v2   POST with a JSON body only           ``orders``      "svc_...",
                                                             (or ``order``)  "ord_..."
============  ========  ===================================  ==============  ===================

Batch calls take at most `SimProfile.max_batch` (100) ids, comma-separated (a JSON body may also
send a list).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from providers.models import OrderState, RefillState

from .ids import IdStyle
from .problems import Problem


class Encoding(StrEnum):
    """How request fields may travel."""

    FORM = "form"
    """``application/x-www-form-urlencoded`` (or multipart) POST body."""
    QUERY = "query"
    """GET query string."""
    JSON = "json"
    """``application/json`` POST body."""


class CancelStyle(StrEnum):
    """The shape of a cancel answer."""

    LIST = "list"
    """``[{"order": 2, "cancel": 1}, {"order": 9, "cancel": {"error": ...}}]``."""
    CANCELED = "canceled"
    """``{"canceled": [2]}``: ids not listed were not canceled."""
    SINGLE = "single"
    """One ``order`` per call: ``{"cancel": 1}`` or ``{"error": ...}``."""


K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(mapping))


SEED_ERRORS: Mapping[Problem, str] = _frozen(
    {
        Problem.BAD_KEY: "Invalid API key",
        Problem.BAD_REQUEST: "Incorrect request",
        Problem.BAD_ACTION: "Incorrect request",
        Problem.WRONG_ENCODING: "Incorrect request",
        Problem.TOO_MANY_IDS: "Incorrect request",
        Problem.NO_IDS: "Incorrect request",
        Problem.BAD_SERVICE: "Incorrect service ID",
        Problem.FIELD_REQUIRED: "{Field} is required",
        Problem.BAD_LINK: "Incorrect link",
        Problem.BAD_QUANTITY: "Incorrect request",
        Problem.QUANTITY_LOW: "Quantity less than minimal {min}",
        Problem.QUANTITY_HIGH: "Quantity more than maximum {max}",
        Problem.NO_DRIPFEED: "This services does not support Dripfeed feature!",
        Problem.DUPLICATE_LINK: (
            "You have active order with this link. Please wait until order being completed."
        ),
        Problem.NO_FUNDS: "Not enough funds on balance",
        Problem.BAD_ORDER: "Incorrect order ID",
        Problem.BAD_REFILL: "Refill not found",
        Problem.NOT_REFILLABLE: "Order not eligible for refill.",
        Problem.NOT_CANCELABLE: "Order cannot be canceled",
        Problem.RATE_LIMITED: "Rate limit exceeded. Max {limit} requests per minute.",
        Problem.INTERNAL: "Internal server error",
    }
)

SEED_ORDER_TEXTS: Mapping[OrderState, tuple[str, ...]] = _frozen(
    {
        OrderState.PENDING: ("Pending",),
        OrderState.IN_PROGRESS: ("In progress",),
        OrderState.COMPLETED: ("Completed",),
        OrderState.PARTIAL: ("Partial",),
        OrderState.CANCELED: ("Canceled",),
    }
)

SEED_REFILL_TEXTS: Mapping[RefillState, tuple[str, ...]] = _frozen(
    {
        RefillState.PENDING: ("Pending",),
        RefillState.IN_PROGRESS: ("In progress",),
        RefillState.COMPLETED: ("Completed",),
        RefillState.REJECTED: ("Rejected",),
    }
)

_ALL_ENCODINGS = frozenset(Encoding)


@dataclass(frozen=True, slots=True)
class SimProfile:
    """One panel dialect: where it listens, what it accepts, and how it words its answers."""

    name: str
    path: str = "/api/v2"
    """Where the API listens; a client posts every action to this one URL."""
    encodings: frozenset[Encoding] = _ALL_ENCODINGS
    """Request encodings accepted; any other gets `Problem.WRONG_ENCODING`."""
    content_type: str = "application/json"
    service_ids: IdStyle = IdStyle.INT
    order_ids: IdStyle = IdStyle.INT
    numbers_as_strings: bool = True
    """``"0.90"`` and ``"3572"`` (seed) or JSON numbers ``0.90`` and ``3572``."""
    flags: tuple[tuple[object, object], ...] = ((True, False),)
    """(true, false) spellings of ``refill``/``cancel``, chosen per service in turn."""
    services_key: str | None = None
    """Wrap the service list as ``{key: [...]}``."""
    service_extras: bool = False
    """Add ``desc``, ``dripfeed``, ``average_time`` and ``name_lang`` to each service."""
    order_texts: Mapping[OrderState, tuple[str, ...]] = field(
        default_factory=lambda: SEED_ORDER_TEXTS
    )
    """Status spellings; with several, each order keeps one chosen by its id."""
    refill_texts: Mapping[RefillState, tuple[str, ...]] = field(
        default_factory=lambda: SEED_REFILL_TEXTS
    )
    bare_item_errors: bool = False
    """A batch item's error as ``"Incorrect order ID"`` instead of ``{"error": ...}``."""
    single_refill_as_string: bool = True
    """``{"refill": "1"}`` (seed) or ``{"refill": 1}``."""
    refill_success: str | None = None
    """A ``success`` text beside a created refill."""
    cancel_style: CancelStyle = CancelStyle.LIST
    errors: Mapping[Problem, str] = field(default_factory=lambda: SEED_ERRORS)
    """Error texts; ``{min}``, ``{max}``, ``{field}``/``{Field}`` and ``{limit}`` are filled in."""
    error_status: Mapping[Problem, int] = field(default_factory=dict)
    """HTTP status of an error answer when not 200."""
    duplicate_links: bool = False
    """Refuse a second unfinished order for the same link (a panel setting)."""
    max_batch: int = 100

    def error_text(self, problem: Problem, params: Mapping[str, object]) -> str:
        """The panel's wording of `problem`."""
        template = self.errors.get(problem) or SEED_ERRORS[problem]
        name = str(params.get("field", ""))
        values = {
            **{k: str(v) for k, v in params.items()},
            "field": name,
            "Field": name.replace("_", " ").capitalize(),
        }
        return template.format_map(_Blank(values))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


SEED = SimProfile(name="seed")
"""Exactly the Rizvi API page: form POST (GET and JSON bodies work too) at ``/api/v2``, integer
ids, numbers as strings, ``{"refill": "1"}``, cancel takes ``orders`` (or ``order``) and answers
``[{"order", "cancel"}]``; errors are HTTP 200 ``{"error": ...}``."""

SLOPPY = SimProfile(
    name="sloppy",
    content_type="text/html; charset=UTF-8",
    service_ids=IdStyle.NUMERIC,
    order_ids=IdStyle.HEX24,
    numbers_as_strings=False,
    flags=(("1", "0"), ("true", "false"), (True, False), (1, 0)),
    services_key="services",
    service_extras=True,
    order_texts=_frozen(
        {
            OrderState.PENDING: ("Pending", "pending"),
            OrderState.IN_PROGRESS: ("In Progress", "Inprogress", "Processing"),
            OrderState.COMPLETED: ("Complete", "Completed"),
            OrderState.PARTIAL: ("Partial",),
            OrderState.CANCELED: ("Cancelled",),
        }
    ),
    refill_texts=_frozen(
        {
            RefillState.PENDING: ("Awaiting",),
            RefillState.IN_PROGRESS: ("In progress",),
            RefillState.COMPLETED: ("Processed",),
            RefillState.REJECTED: ("Rejected",),
        }
    ),
    bare_item_errors=True,
    single_refill_as_string=False,
    refill_success="Refill request created",
    cancel_style=CancelStyle.CANCELED,
    errors=_frozen(
        {
            **SEED_ERRORS,
            Problem.BAD_KEY: "Invalid API key.",
            Problem.BAD_ACTION: "This action is Invalid",
            Problem.NO_FUNDS: "Insufficient balance",
            Problem.BAD_SERVICE: "Service ID does not exists",
            Problem.FIELD_REQUIRED: "Bad {Field}",
            Problem.BAD_LINK: "Bad Link",
            Problem.BAD_REFILL: "Refill Request Not found",
            Problem.NO_IDS: "Provide 'order' or 'orders' parameter",
        }
    ),
    duplicate_links=True,
)
"""Loose answers: JSON sent as ``text/html``, services wrapped in ``{"services": [...]}`` with
numbers as JSON numbers, mixed flag spellings, extra fields and 13-digit ``max``; service ids as
numeric strings, order ids as 24-hex strings; status spellings vary; batch errors are bare
strings; refill answers ``{"refill": 1, "success": ...}`` and ``Awaiting``/``Processed``; cancel
takes ``orders`` (or ``order``) and answers ``{"canceled": [ids]}``; duplicate links refused."""

GET_V1 = SimProfile(
    name="get_v1",
    path="/api/v1",
    encodings=frozenset({Encoding.QUERY}),
    cancel_style=CancelStyle.SINGLE,
    error_status=_frozen({Problem.BAD_KEY: 401, Problem.RATE_LIMITED: 429}),
)
"""GET query strings only at ``/api/v1`` (a POST gets ``{"error": "Incorrect request"}``); a bad
key is HTTP 401 and a rate limit HTTP 429 with ``Retry-After``; cancel takes one ``order`` and
answers ``{"cancel": 1}``; otherwise the seed's shapes."""

JSON = SimProfile(
    name="json",
    encodings=frozenset({Encoding.JSON}),
    service_ids=IdStyle.PREFIXED,
    order_ids=IdStyle.PREFIXED,
    errors=_frozen(
        {
            **SEED_ERRORS,
            Problem.BAD_KEY: "auth.error.invalid_key",
            Problem.BAD_REQUEST: "Invalid parameters",
            Problem.BAD_ACTION: "Invalid parameters",
            Problem.WRONG_ENCODING: "Invalid parameters",
            Problem.TOO_MANY_IDS: "Invalid parameters",
            Problem.NO_IDS: "Invalid parameters",
            Problem.BAD_QUANTITY: "Invalid parameters",
            Problem.BAD_SERVICE: "neworder.error.service_not_found",
            Problem.FIELD_REQUIRED: "neworder.error.{field}_required",
            Problem.BAD_LINK: "neworder.error.link_invalid",
            Problem.QUANTITY_LOW: "neworder.error.min_quantity",
            Problem.QUANTITY_HIGH: "neworder.error.max_quantity",
            Problem.NO_DRIPFEED: "neworder.error.dripfeed_not_supported",
            Problem.DUPLICATE_LINK: "neworder.error.link_duplicate",
            Problem.NO_FUNDS: "neworder.error.not_enough_funds",
        }
    ),
    duplicate_links=True,
)
"""A JSON body only (``POST /api/v2``, ``Content-Type: application/json``; a form gets
``{"error": "Invalid parameters"}``); ids are opaque strings ``"svc_..."`` and ``"ord_..."``;
``neworder.error.*`` texts for refused orders; otherwise the seed's shapes."""

PROFILES: Mapping[str, SimProfile] = _frozen({p.name: p for p in (SEED, SLOPPY, GET_V1, JSON)})


def get_profile(name: str) -> SimProfile:
    """The profile called `name`; the error names the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown simulator profile {name!r}; known profiles: {known}") from None
