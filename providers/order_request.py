"""An order as sent to a panel: `OrderRequest`, checked per service type before any call.

Fields listing several items (comments, usernames, ...) take a list or ``\\n``-joined text;
links, handles and free text are checked as panels accept them (`providers.order_text`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from providers.order_text import check_handles, check_link, check_text
from providers.services import OPTIONAL_FIELDS, ORDER_FIELDS, REQUIRED_FIELDS, ServiceType
from providers.values import Id, to_optional_int


def _check_expiry(text: str) -> None:
    """A subscription's expiry: a real d/m/Y date, not already past (a day's grace for the
    time zones between the client and the panel)."""
    wrong = "expiry must be a d/m/Y date such as 31/12/2026"
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
        raise ValueError(wrong)
    try:
        day = datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(wrong) from None
    if day < datetime.now(UTC).date() - timedelta(days=1):
        raise ValueError("expiry must not be in the past")


def _lines(value: object) -> object:
    """Accept a list of lines for the one-per-line fields; send ``\\n``-joined text."""
    if isinstance(value, list | tuple):
        return "\n".join(str(v).strip() for v in value if str(v).strip())
    return value


Lines = Annotated[str | None, BeforeValidator(_lines)]
# Checked text (providers.order_text): what panels accept, nothing placed that they would not.
Link = Annotated[str | None, AfterValidator(check_link)]
Handle = Annotated[str | None, AfterValidator(check_handles)]
HandleLines = Annotated[str | None, BeforeValidator(_lines), AfterValidator(check_handles)]
Text = Annotated[str | None, AfterValidator(check_text)]
TextLines = Annotated[str | None, BeforeValidator(_lines), AfterValidator(check_text)]
PositiveCount = Annotated[int | None, BeforeValidator(to_optional_int), Field(gt=0)]
MAX_INTERVAL = 366 * 24 * 60
"""The longest drip-feed interval taken, in minutes: a year."""
NonNegativeCount = Annotated[int | None, BeforeValidator(to_optional_int), Field(ge=0)]
MAX_DETAIL = 2**31 - 1
"""The largest count of an order's fields besides its quantity (runs, posts, min, max, delay,
an answer number): the range GraphQL's ``Int`` takes, so both faces take the same orders. No
panel means more, and a price counted from more would not stay exact."""
PositiveDetail = Annotated[PositiveCount, Field(le=MAX_DETAIL)]
Detail = Annotated[NonNegativeCount, Field(le=MAX_DETAIL)]


class OrderRequest(BaseModel):
    """An `add` call: the service, its type, and the fields that type takes.

    Validated per type before any call is made::

        OrderRequest(service="1", link="https://instagram.com/x", quantity=1000)
        OrderRequest(service="2", service_type="Custom Comments",
                     link="https://instagram.com/p/x", comments=["Nice!", "Great"])
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    service: Id
    service_type: ServiceType = ServiceType.DEFAULT
    link: Link = None
    quantity: PositiveCount = None
    runs: PositiveDetail = None
    interval: Annotated[PositiveCount, Field(le=MAX_INTERVAL)] = None
    keywords: TextLines = None
    comments: TextLines = None
    usernames: HandleLines = None
    hashtags: TextLines = None
    hashtag: Text = None
    username: Handle = None
    media: Text = None
    answer_number: PositiveDetail = None
    groups: TextLines = None
    country: Text = None
    device: Text = None
    type_of_traffic: Text = None
    google_keyword: Text = None
    referring_url: Text = None
    min: Detail = None
    max: Detail = None
    posts: Detail = None
    old_posts: Detail = None
    delay: Detail = None
    expiry: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and "service_type" in data:
            data = {**data, "service_type": ServiceType.parse(data["service_type"])}
        if isinstance(data, dict) and isinstance(data.get("expiry"), date):
            data = {**data, "expiry": data["expiry"].strftime("%d/%m/%Y")}
        return data

    @model_validator(mode="after")
    def _check_fields(self) -> Self:
        kind = self.service_type
        missing = [f for f in REQUIRED_FIELDS[kind] if getattr(self, f) in (None, "")]
        if missing:
            raise ValueError(f"{kind.value} order needs {', '.join(missing)}")
        allowed = {*REQUIRED_FIELDS[kind], *OPTIONAL_FIELDS.get(kind, ())}
        extra = [f for f in ORDER_FIELDS if f not in allowed and getattr(self, f) is not None]
        if extra:
            raise ValueError(f"{kind.value} order does not take {', '.join(extra)}")
        if (self.runs is None) != (self.interval is None):
            raise ValueError("a drip-feed order needs both runs and interval")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        if self.expiry is not None:
            _check_expiry(self.expiry)
        return self

    @property
    def dripfeed(self) -> bool:
        return self.runs is not None

    @property
    def units(self) -> int:
        """How many units one run delivers: the quantity, or the count of listed items."""
        if self.quantity is not None:
            return self.quantity
        for listed in (self.comments, self.usernames):
            if listed:
                return len([line for line in listed.splitlines() if line.strip()])
        if self.service_type is ServiceType.SUBSCRIPTIONS and self.max is not None:
            return self.max
        return 1

    def fields(self) -> dict[str, str]:
        """The form fields of the `add` call (without `key` and `action`)."""
        out = {"service": self.service}
        for name in ORDER_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        return out
