"""What a service sells, as `gateway.classify` reads it: platform, metric, target, order type,
refill promise, geo; and the key by which interchangeable services are grouped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """Where the service delivers."""

    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    FACEBOOK = "facebook"
    TWITTER = "twitter"
    TELEGRAM = "telegram"
    SPOTIFY = "spotify"
    TWITCH = "twitch"
    DISCORD = "discord"
    THREADS = "threads"
    LINKEDIN = "linkedin"
    SOUNDCLOUD = "soundcloud"
    PINTEREST = "pinterest"
    REDDIT = "reddit"
    SNAPCHAT = "snapchat"
    KICK = "kick"
    WHATSAPP = "whatsapp"
    VK = "vk"
    QUORA = "quora"
    TUMBLR = "tumblr"
    APPLE_MUSIC = "apple_music"
    DEEZER = "deezer"
    SHAZAM = "shazam"
    AUDIOMACK = "audiomack"
    GOOGLE = "google"
    TRUSTPILOT = "trustpilot"
    WEBSITE = "website"
    OTHER = "other"


class Metric(StrEnum):
    """What is delivered. STREAMS are live viewers, PLAYS are audio plays."""

    FOLLOWERS = "followers"
    LIKES = "likes"
    VIEWS = "views"
    STORY_VIEWS = "story_views"
    COMMENTS = "comments"
    SHARES = "shares"
    SAVES = "saves"
    SUBSCRIBERS = "subscribers"
    MEMBERS = "members"
    PLAYS = "plays"
    REACTIONS = "reactions"
    VOTES = "votes"
    RETWEETS = "retweets"
    REPOSTS = "reposts"
    IMPRESSIONS = "impressions"
    REACH = "reach"
    STREAMS = "streams"
    WATCH_TIME = "watch_time"
    LISTENERS = "listeners"
    MONTHLY_LISTENERS = "monthly_listeners"
    REVIEWS = "reviews"
    MENTIONS = "mentions"
    TRAFFIC = "traffic"
    CONNECTIONS = "connections"
    FRIENDS = "friends"
    OTHER = "other"


class Target(StrEnum):
    """What the link points at, when the name narrows it down (page likes are not post likes)."""

    ANY = "any"
    COMMENT = "comment"
    PAGE = "page"
    STORY = "story"
    LIVE = "live"


class OrderType(StrEnum):
    """The panel's service type, normalised; it decides which `add` fields an order takes."""

    DEFAULT = "default"
    PACKAGE = "package"
    SEO = "seo"
    CUSTOM_COMMENTS = "custom_comments"
    CUSTOM_COMMENTS_PACKAGE = "custom_comments_package"
    MENTIONS = "mentions"
    MENTIONS_WITH_HASHTAGS = "mentions_with_hashtags"
    MENTIONS_CUSTOM_LIST = "mentions_custom_list"
    MENTIONS_HASHTAG = "mentions_hashtag"
    MENTIONS_USER_FOLLOWERS = "mentions_user_followers"
    MENTIONS_MEDIA_LIKERS = "mentions_media_likers"
    COMMENT_LIKES = "comment_likes"
    COMMENT_REPLIES = "comment_replies"
    POLL = "poll"
    INVITES_FROM_GROUPS = "invites_from_groups"
    WEB_TRAFFIC = "web_traffic"
    SUBSCRIPTIONS = "subscriptions"
    UNKNOWN = "unknown"


class RefillKind(StrEnum):
    """NONE: no refill. UNSPECIFIED: refill promised, period not stated. UNKNOWN: nothing said."""

    NONE = "none"
    DAYS = "days"
    LIFETIME = "lifetime"
    UNSPECIFIED = "unspecified"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Refill:
    """The refill promise; `days` is set only for `RefillKind.DAYS`."""

    kind: RefillKind
    days: int | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """What a service sells. `extras` are metrics bundled in ("Likes + Views")."""

    platform: Platform
    metric: Metric
    order_type: OrderType
    refill: Refill
    geo: str | None = None
    region: str | None = None
    target: Target = Target.ANY
    extras: frozenset[Metric] = frozenset()
    auto: bool = False
    quality: frozenset[str] = frozenset()


GroupKey = tuple[
    Platform, Metric, Target, tuple[Metric, ...], OrderType, Refill, str | None, str | None, bool
]


def group_key(c: Classification) -> GroupKey:
    """Services with equal keys are interchangeable; quality tags deliberately do not count."""
    extras = tuple(sorted(c.extras))
    return (c.platform, c.metric, c.target, extras, c.order_type, c.refill, c.geo, c.region, c.auto)
