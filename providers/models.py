"""The vocabulary every layer shares: money, ids, service types, order fields and statuses.

Panels send numbers as strings or numbers, booleans in half a dozen spellings and ids that may
be integers or opaque strings. The models here accept all of that and hold one canonical form:
ids are ``str``, counts are ``int`` (unbounded), money is ``Decimal`` with its currency, and every
status keeps the panel's raw text beside a normalised enum.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from providers.amounts import read_decimal
from providers.order_text import check_handles, check_link, check_text

ServiceId = str
OrderId = str
RefillId = str

PER = Decimal(1000)
"""Panel rates are prices per this many units."""


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def to_decimal(value: object) -> Decimal:
    """Parse a panel's money value (``"0.27819"``, ``8``, ``Decimal``) without touching floats.

    A float is converted through its shortest ``repr``, which is what the panel wrote.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        # Decimal commas and grouped thousands read by one set of rules (providers.amounts).
        return read_decimal(value)
    raise ValueError(f"not an amount: {value!r}")


def to_int(value: object) -> int:
    """Parse a panel's count (``"3572"``, ``3572``, ``"1e3"``, ``"157.0"``) as an exact integer."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a count")
    if isinstance(value, int):
        return value
    # A count is whole, so "1,234" can only be grouped thousands.
    amount = read_decimal(value, whole=True) if isinstance(value, str) else to_decimal(value)
    if amount != amount.to_integral_value():
        raise ValueError(f"not a whole number: {value!r}")
    return int(amount)


def to_optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_int(value)


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", "", "null", "none"}


def to_bool(value: object) -> bool:
    """Parse a panel's flag: ``true``, ``"true"``, ``1``, ``"1"``, ``"True"``, ``"0"``..."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | Decimal):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"not a flag: {value!r}")


def to_id(value: object) -> str:
    """Canonical id text: ``23501``, ``"23501"`` and ``" 23501 "`` are all ``"23501"``."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return str(to_int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"not an id: {value!r}")


Amount = Annotated[Decimal, BeforeValidator(to_decimal)]
Count = Annotated[int, BeforeValidator(to_int)]
OptionalCount = Annotated[int | None, BeforeValidator(to_optional_int)]
Flag = Annotated[bool, BeforeValidator(to_bool)]
Id = Annotated[str, BeforeValidator(to_id)]


class Money(BaseModel):
    """An exact amount in a currency (ISO code as the panel sends it, upper-cased)."""

    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: str = "USD"

    @model_validator(mode="after")
    def _upper_currency(self) -> Self:
        object.__setattr__(self, "currency", self.currency.strip().upper() or "USD")
        return self

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"  # never "1E-7 USD"


class Balance(Money):
    """A provider account's balance."""


class ServiceType(StrEnum):
    """Service types of the v2 template; the value is the panel's own spelling."""

    DEFAULT = "Default"
    PACKAGE = "Package"
    SEO = "SEO"
    CUSTOM_COMMENTS = "Custom Comments"
    CUSTOM_COMMENTS_PACKAGE = "Custom Comments Package"
    MENTIONS = "Mentions"
    MENTIONS_WITH_HASHTAGS = "Mentions with Hashtags"
    MENTIONS_CUSTOM_LIST = "Mentions Custom List"
    MENTIONS_HASHTAG = "Mentions Hashtag"
    MENTIONS_USER_FOLLOWERS = "Mentions User Followers"
    MENTIONS_MEDIA_LIKERS = "Mentions Media Likers"
    COMMENT_LIKES = "Comment Likes"
    COMMENT_REPLIES = "Comment Replies"
    POLL = "Poll"
    INVITES_FROM_GROUPS = "Invites from Groups"
    WEB_TRAFFIC = "Web Traffic"
    SUBSCRIPTIONS = "Subscriptions"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, text: object) -> ServiceType:
        """Tolerant lookup: ``"custom_comments"`` and ``"Custom comments"`` both match."""
        if isinstance(text, ServiceType):
            return text
        return _SERVICE_TYPES.get(_squash(str(text or "")), cls.UNKNOWN)


_SERVICE_TYPES = {_squash(t.value): t for t in ServiceType}
_SERVICE_TYPES.update({"": ServiceType.DEFAULT, "subscription": ServiceType.SUBSCRIPTIONS})


# Fields that an `add` of each type must carry besides `service`.
REQUIRED_FIELDS: Mapping[ServiceType, tuple[str, ...]] = {
    ServiceType.DEFAULT: ("link", "quantity"),
    ServiceType.PACKAGE: ("link",),
    ServiceType.SEO: ("link", "quantity", "keywords"),
    ServiceType.CUSTOM_COMMENTS: ("link", "comments"),
    ServiceType.CUSTOM_COMMENTS_PACKAGE: ("link", "comments"),
    ServiceType.MENTIONS: ("link", "usernames"),
    ServiceType.MENTIONS_WITH_HASHTAGS: ("link", "quantity", "usernames", "hashtags"),
    ServiceType.MENTIONS_CUSTOM_LIST: ("link", "usernames"),
    ServiceType.MENTIONS_HASHTAG: ("link", "quantity", "hashtag"),
    ServiceType.MENTIONS_USER_FOLLOWERS: ("link", "quantity", "username"),
    ServiceType.MENTIONS_MEDIA_LIKERS: ("link", "quantity", "media"),
    ServiceType.COMMENT_LIKES: ("link", "quantity", "username"),
    ServiceType.COMMENT_REPLIES: ("link", "username", "comments"),
    ServiceType.POLL: ("link", "quantity", "answer_number"),
    ServiceType.INVITES_FROM_GROUPS: ("link", "quantity", "groups"),
    ServiceType.WEB_TRAFFIC: ("link", "quantity", "country", "device", "type_of_traffic"),
    ServiceType.SUBSCRIPTIONS: ("username", "min", "max"),
    ServiceType.UNKNOWN: ("link",),
}

# Fields a type may carry beyond its required ones.
OPTIONAL_FIELDS: Mapping[ServiceType, tuple[str, ...]] = {
    ServiceType.DEFAULT: ("runs", "interval"),
    ServiceType.WEB_TRAFFIC: ("google_keyword", "referring_url"),
    ServiceType.SUBSCRIPTIONS: ("posts", "old_posts", "delay", "expiry"),
    ServiceType.UNKNOWN: ("quantity", "runs", "interval"),
}

# Types whose charge is the flat rate, not a rate per 1000.
PACKAGE_TYPES = frozenset({ServiceType.PACKAGE, ServiceType.CUSTOM_COMMENTS_PACKAGE})

ORDER_FIELDS = (
    "link", "quantity", "runs", "interval", "keywords", "comments", "usernames", "hashtags",
    "hashtag", "username", "media", "answer_number", "groups", "country", "device",
    "type_of_traffic", "google_keyword", "referring_url", "min", "max", "posts", "old_posts",
    "delay", "expiry",
)  # fmt: skip


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
NonNegativeCount = Annotated[int | None, BeforeValidator(to_optional_int), Field(ge=0)]


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
    runs: PositiveCount = None
    interval: PositiveCount = None
    keywords: TextLines = None
    comments: TextLines = None
    usernames: HandleLines = None
    hashtags: TextLines = None
    hashtag: Text = None
    username: Handle = None
    media: Text = None
    answer_number: PositiveCount = None
    groups: TextLines = None
    country: Text = None
    device: Text = None
    type_of_traffic: Text = None
    google_keyword: Text = None
    referring_url: Text = None
    min: NonNegativeCount = None
    max: NonNegativeCount = None
    posts: NonNegativeCount = None
    old_posts: NonNegativeCount = None
    delay: NonNegativeCount = None
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
        if self.expiry is not None and not re.fullmatch(r"\d{2}/\d{2}/\d{4}", self.expiry):
            raise ValueError("expiry must be a d/m/Y date such as 31/12/2026")
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


class Service(BaseModel):
    """One entry of a panel's service list, normalised."""

    model_config = ConfigDict(frozen=True)

    id: Id
    name: str
    type: ServiceType = ServiceType.DEFAULT
    raw_type: str = "Default"
    category: str = ""
    rate: Money
    min: Count = 1
    max: Count = 1
    refill: bool = False
    cancel: bool = False
    dripfeed: bool | None = None
    description: str | None = None
    extras: dict[str, Any] = Field(default_factory=dict)

    def cost(self, request: OrderRequest) -> Money:
        """What the panel charges for `request`: flat for packages, else rate per 1000 units,
        times the runs of a drip-feed."""
        if self.type in PACKAGE_TYPES:
            return self.rate
        amount = self.rate.amount * request.units / PER
        if request.runs is not None:
            amount *= request.runs
        return Money(amount=amount, currency=self.rate.currency)


class OrderState(StrEnum):
    """Normalised order status."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"
    PAUSED = "PAUSED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, text: object) -> OrderState:
        return _ORDER_STATES.get(_squash(str(text or "")), cls.UNKNOWN)

    @property
    def final(self) -> bool:
        return self in _FINAL_ORDER_STATES


_ORDER_STATES = {
    "pending": OrderState.PENDING,
    "awaiting": OrderState.PENDING,
    "inprogress": OrderState.IN_PROGRESS,
    "processing": OrderState.IN_PROGRESS,
    "active": OrderState.IN_PROGRESS,
    "running": OrderState.IN_PROGRESS,
    "completed": OrderState.COMPLETED,
    "complete": OrderState.COMPLETED,
    "partial": OrderState.PARTIAL,
    "canceled": OrderState.CANCELED,
    "cancelled": OrderState.CANCELED,
    "refunded": OrderState.REFUNDED,
    "paused": OrderState.PAUSED,
    "expired": OrderState.EXPIRED,
}
_FINAL_ORDER_STATES = frozenset(
    {
        OrderState.COMPLETED,
        OrderState.PARTIAL,
        OrderState.CANCELED,
        OrderState.REFUNDED,
        OrderState.EXPIRED,
    }
)


class RefillState(StrEnum):
    """Normalised refill status."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, text: object) -> RefillState:
        return _REFILL_STATES.get(_squash(str(text or "")), cls.UNKNOWN)

    @property
    def final(self) -> bool:
        return self not in (RefillState.PENDING, RefillState.IN_PROGRESS, RefillState.UNKNOWN)


_REFILL_STATES = {
    "pending": RefillState.PENDING,
    "awaiting": RefillState.PENDING,
    "inprogress": RefillState.IN_PROGRESS,
    "processing": RefillState.IN_PROGRESS,
    "completed": RefillState.COMPLETED,
    "complete": RefillState.COMPLETED,
    "processed": RefillState.COMPLETED,
    "rejected": RefillState.REJECTED,
    "canceled": RefillState.CANCELED,
    "cancelled": RefillState.CANCELED,
    "failed": RefillState.FAILED,
    "error": RefillState.FAILED,
}


class PlacedOrder(BaseModel):
    """The answer to `add`: the panel's order id."""

    model_config = ConfigDict(frozen=True)

    order: Id
    extras: dict[str, Any] = Field(default_factory=dict)


class OrderStatus(BaseModel):
    """An order's status as the panel reports it."""

    model_config = ConfigDict(frozen=True)

    order: Id
    state: OrderState
    raw_status: str
    charge: Money | None = None
    start_count: OptionalCount = None
    remains: OptionalCount = None
    extras: dict[str, Any] = Field(default_factory=dict)


class Refill(BaseModel):
    """A refill created for an order."""

    model_config = ConfigDict(frozen=True)

    order: Id
    refill: Id


class RefillStatus(BaseModel):
    """A refill's status as the panel reports it."""

    model_config = ConfigDict(frozen=True)

    refill: Id
    state: RefillState
    raw_status: str


class CancelResult(BaseModel):
    """A cancel request the panel accepted: "cancel requested", not "refunded"."""

    model_config = ConfigDict(frozen=True)

    order: Id
    accepted: bool = True
