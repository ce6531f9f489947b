"""What a panel sells: service types, the `add` fields each type takes, and a service entry.

The types are the v2 template's (PANELS.md); `REQUIRED_FIELDS` and `OPTIONAL_FIELDS` say which
order fields an `add` of each type carries, and `Service.cost` what the panel charges for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from providers.money import PER, Money
from providers.values import Count, Id, squash

if TYPE_CHECKING:
    from providers.order_request import OrderRequest


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
        return _SERVICE_TYPES.get(squash(str(text or "")), cls.UNKNOWN)


_SERVICE_TYPES = {squash(t.value): t for t in ServiceType}
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
