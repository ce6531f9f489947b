"""The fixed template list every simulated catalog is drawn from.

Platform x metric x variant gives the ordinary ("Default") services; a hand-written list adds
one or more services of every other type. Kept as data, apart from the drawing in `catalog`, so
that adding a platform or a variant is an edit to a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from providers.models import ServiceType

HUGE_MAX = 1_000_000_000_000
"""Panels list "unlimited" services with a max far beyond 32 bits."""


@dataclass(frozen=True, slots=True)
class _Metric:
    platform: str
    metric: str
    rate: str
    min: int
    max: int
    speed: float


@dataclass(frozen=True, slots=True)
class _Variant:
    suffix: str
    factor: int
    """Rate factor in percent of the metric's base rate."""
    refill: bool
    cancel: bool
    dripfeed: bool
    partial: float
    huge_max: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    """One kind of service, before a seed prices and names it."""

    platform: str
    name: str
    type: ServiceType
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool
    speed: float
    partial: float


_PLATFORMS = (
    "Instagram", "TikTok", "YouTube", "Facebook", "Twitter", "Telegram", "Spotify", "Twitch",
    "Discord", "Threads", "LinkedIn", "SoundCloud", "Website",
)  # fmt: skip

_M = _Metric
_METRICS = (
    _M("Instagram", "Followers", "0.90", 50, 50_000, 3.0),
    _M("Instagram", "Likes", "0.25", 20, 100_000, 10.0),
    _M("Instagram", "Views", "0.02", 100, 10_000_000, 100.0),
    _M("Instagram", "Story Views", "0.10", 100, 50_000, 20.0),
    _M("Instagram", "Saves", "0.15", 10, 50_000, 10.0),
    _M("Instagram", "Shares", "0.20", 100, 1_000_000, 10.0),
    _M("Instagram", "Reel Views", "0.03", 100, 10_000_000, 100.0),
    _M("TikTok", "Followers", "1.20", 100, 100_000, 3.0),
    _M("TikTok", "Likes", "0.30", 50, 200_000, 10.0),
    _M("TikTok", "Views", "0.01", 100, 100_000_000, 200.0),
    _M("TikTok", "Shares", "0.25", 100, 1_000_000, 10.0),
    _M("TikTok", "Saves", "0.20", 100, 1_000_000, 10.0),
    _M("YouTube", "Subscribers", "12.00", 100, 50_000, 0.5),
    _M("YouTube", "Views", "1.50", 500, 1_000_000, 5.0),
    _M("YouTube", "Likes", "2.00", 50, 100_000, 2.0),
    _M("YouTube", "Shorts Views", "0.80", 100, 1_000_000, 10.0),
    _M("Facebook", "Page Likes", "2.50", 100, 100_000, 2.0),
    _M("Facebook", "Followers", "1.80", 100, 100_000, 2.0),
    _M("Facebook", "Post Likes", "0.70", 50, 50_000, 5.0),
    _M("Facebook", "Reactions", "0.90", 50, 50_000, 5.0),
    _M("Facebook", "Video Views", "0.60", 500, 1_000_000, 20.0),
    _M("Facebook", "Group Members", "3.00", 100, 50_000, 1.0),
    _M("Twitter", "Followers", "4.00", 100, 50_000, 1.0),
    _M("Twitter", "Likes", "1.50", 20, 20_000, 3.0),
    _M("Twitter", "Retweets", "1.80", 20, 20_000, 3.0),
    _M("Twitter", "Views", "0.05", 100, 10_000_000, 100.0),
    _M("Telegram", "Members", "1.10", 100, 100_000, 2.0),
    _M("Telegram", "Post Views", "0.03", 100, 1_000_000, 50.0),
    _M("Telegram", "Reactions", "0.08", 10, 100_000, 20.0),
    _M("Spotify", "Plays", "0.90", 1000, 10_000_000, 20.0),
    _M("Spotify", "Followers", "0.70", 100, 100_000, 3.0),
    _M("Spotify", "Monthly Listeners", "2.20", 500, 500_000, 5.0),
    _M("Spotify", "Saves", "0.90", 100, 100_000, 5.0),
    _M("Twitch", "Followers", "0.60", 100, 50_000, 3.0),
    _M("Twitch", "Live Viewers", "5.00", 10, 5_000, 1.0),
    _M("Twitch", "Channel Views", "0.40", 100, 1_000_000, 20.0),
    _M("Discord", "Members", "4.50", 100, 10_000, 0.5),
    _M("Discord", "Online Members", "7.00", 50, 5_000, 0.5),
    _M("Discord", "Reactions", "1.00", 10, 10_000, 2.0),
    _M("Threads", "Followers", "1.40", 100, 50_000, 2.0),
    _M("Threads", "Likes", "0.60", 20, 50_000, 5.0),
    _M("Threads", "Reposts", "0.80", 20, 20_000, 3.0),
    _M("LinkedIn", "Followers", "9.00", 100, 20_000, 0.5),
    _M("LinkedIn", "Post Likes", "7.00", 50, 10_000, 1.0),
    _M("LinkedIn", "Connections", "12.00", 100, 5_000, 0.3),
    _M("SoundCloud", "Plays", "0.08", 1000, 10_000_000, 50.0),
    _M("SoundCloud", "Followers", "0.90", 100, 100_000, 3.0),
    _M("SoundCloud", "Likes", "0.60", 50, 100_000, 5.0),
    _M("SoundCloud", "Reposts", "0.70", 50, 100_000, 5.0),
    _M("Website", "Traffic", "0.20", 1000, 10_000_000, 20.0),
)

_V = _Variant
_VARIANTS = (
    _V("[Real] [R30]", 150, refill=True, cancel=True, dripfeed=False, partial=0.08),
    _V(
        "[Refill 30 Days] [Max {max}] | Instant Start",
        120,
        refill=True,
        cancel=True,
        dripfeed=False,
        partial=0.05,
    ),
    _V("[Lifetime Refill]", 180, refill=True, cancel=False, dripfeed=False, partial=0.05),
    _V("[No Refill]", 70, refill=False, cancel=True, dripfeed=False, partial=0.25),
    _V("[USA]", 220, refill=True, cancel=True, dripfeed=False, partial=0.10),
    _V("[HQ]", 130, refill=False, cancel=True, dripfeed=True, partial=0.05),
    _V("[Drip-feed] [Non Drop]", 140, refill=True, cancel=True, dripfeed=True, partial=0.03),
    _V("[Cheapest] [Max {max}]", 55, refill=False, cancel=False, dripfeed=False, partial=0.35),
    _V("[Instant] [Unlimited]", 100, False, cancel=True, dripfeed=True, partial=0.0, huge_max=True),
)

# Real panels file some services under the wrong heading; matching by category alone fails.
_MISFILED = {
    ("Instagram", "Likes", "[Real] [R30]"): "Instagram Followers",
    ("TikTok", "Views", "[HQ]"): "TikTok Likes",
    ("YouTube", "Likes", "[No Refill]"): "YouTube Views",
}

_T = ServiceType
# (type, platform, name, category, rate, min, max, refill, cancel, speed)
_SPECIAL_ROWS: tuple[tuple[ServiceType, str, str, str, str, int, int, bool, bool, float], ...] = (
    (_T.PACKAGE, "Instagram", "Instagram Package - 1000 Followers + 500 Likes",
     "Instagram Packages", "4.50", 1, 1, False, False, 5.0),
    (_T.PACKAGE, "TikTok", "TikTok Starter Package - 1K Followers + 5K Views",
     "TikTok Packages", "6.00", 1, 1, False, False, 5.0),
    (_T.SEO, "Website", "Website SEO Traffic [Google Keywords]", "Website SEO",
     "2.50", 100, 100_000, False, False, 10.0),
    (_T.CUSTOM_COMMENTS, "Instagram", "Instagram Custom Comments [Real Accounts]",
     "Instagram Comments", "8", 10, 1500, False, True, 0.5),
    (_T.CUSTOM_COMMENTS, "YouTube", "YouTube Custom Comments [Non Drop]", "YouTube Comments",
     "25", 5, 1000, True, True, 0.2),
    (_T.CUSTOM_COMMENTS, "TikTok", "TikTok Custom Comments", "TikTok Comments",
     "12", 10, 1000, False, True, 0.5),
    (_T.CUSTOM_COMMENTS_PACKAGE, "Instagram", "Instagram Custom Comments Package - 10 Comments",
     "Instagram Comments", "1.50", 1, 10, False, False, 0.5),
    (_T.MENTIONS, "Instagram", "Instagram Mentions [Custom Usernames]", "Instagram Mentions",
     "4.00", 1, 10_000, False, False, 2.0),
    (_T.MENTIONS_WITH_HASHTAGS, "Instagram", "Instagram Mentions + Hashtags [Custom List]",
     "Instagram Mentions", "5.00", 100, 50_000, False, False, 2.0),
    (_T.MENTIONS_CUSTOM_LIST, "Instagram", "Instagram Mentions Custom List",
     "Instagram Mentions", "4.50", 1, 10_000, False, False, 2.0),
    (_T.MENTIONS_HASHTAG, "Instagram", "Instagram Mentions [Users From Hashtag]",
     "Instagram Mentions", "3.50", 100, 50_000, False, True, 2.0),
    (_T.MENTIONS_USER_FOLLOWERS, "Instagram", "Instagram Mentions [Followers Of User]",
     "Instagram Mentions", "3.80", 100, 50_000, False, True, 2.0),
    (_T.MENTIONS_MEDIA_LIKERS, "Instagram", "Instagram Mentions [Likers Of Post]",
     "Instagram Mentions", "3.90", 100, 50_000, False, True, 2.0),
    (_T.COMMENT_LIKES, "Instagram", "Instagram Comment Likes [Real]", "Instagram Comments",
     "2.20", 20, 20_000, False, True, 3.0),
    (_T.COMMENT_LIKES, "YouTube", "YouTube Comment Likes", "YouTube Comments",
     "3.00", 20, 20_000, True, True, 2.0),
    (_T.COMMENT_REPLIES, "Instagram", "Instagram Comment Replies [Custom]",
     "Instagram Comments", "9.00", 1, 1000, False, True, 0.5),
    (_T.POLL, "Twitter", "Twitter Poll Votes [Any Option]", "Twitter Polls",
     "1.20", 100, 100_000, False, True, 5.0),
    (_T.POLL, "Telegram", "Telegram Poll Votes", "Telegram Polls",
     "0.50", 100, 100_000, False, True, 10.0),
    (_T.INVITES_FROM_GROUPS, "Facebook", "Facebook Group Invites [From Groups]",
     "Facebook Groups", "6.00", 100, 20_000, False, False, 1.0),
    (_T.WEB_TRAFFIC, "Website", "Website Traffic [Choose Country] [Google Referral]",
     "Website Traffic", "0.35", 1000, HUGE_MAX, False, True, 20.0),
    (_T.SUBSCRIPTIONS, "Instagram", "Instagram Auto Likes [Subscription] [Per Post]",
     "Instagram Auto Likes", "0.30", 50, 50_000, False, True, 10.0),
    (_T.SUBSCRIPTIONS, "YouTube", "YouTube Auto Views [Subscription]", "YouTube Auto Views",
     "1.80", 100, 100_000, False, True, 5.0),
)  # fmt: skip

DECORATIONS = (" | Instant", " | Best Seller", " \u26a1", " | Fast", " \U0001f525", " - Stable")


def _short(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count >= 1000 and count % 1000 == 0:
        return f"{count // 1000}K"
    return str(count)


def _regulars() -> tuple[Template, ...]:
    # Variant-major order, so any prefix of the list spans every platform.
    out = []
    for variant in _VARIANTS:
        for metric in _METRICS:
            if variant.huge_max and metric.max < 1_000_000:
                continue
            top = HUGE_MAX if variant.huge_max else metric.max
            suffix = variant.suffix.format(max=_short(top))
            category = _MISFILED.get(
                (metric.platform, metric.metric, variant.suffix),
                f"{metric.platform} {metric.metric}",
            )
            out.append(
                Template(
                    platform=metric.platform,
                    name=f"{metric.platform} {metric.metric} {suffix}",
                    type=ServiceType.DEFAULT,
                    category=category,
                    rate=Decimal(metric.rate) * variant.factor / 100,
                    min=metric.min,
                    max=top,
                    refill=variant.refill,
                    cancel=variant.cancel,
                    dripfeed=variant.dripfeed,
                    speed=metric.speed,
                    partial=variant.partial,
                )
            )
    return tuple(out)


def _specials() -> tuple[Template, ...]:
    return tuple(
        Template(
            platform=platform,
            name=name,
            type=kind,
            category=category,
            rate=Decimal(rate),
            min=low,
            max=high,
            refill=refill,
            cancel=cancel,
            dripfeed=False,
            speed=speed,
            partial=0.05,
        )
        for kind, platform, name, category, rate, low, high, refill, cancel, speed in _SPECIAL_ROWS
    )


REGULAR_TEMPLATES = _regulars()
SPECIAL_TEMPLATES = _specials()
PLATFORM_RANK = {name: rank for rank, name in enumerate(_PLATFORMS)}
CATEGORY_RANK: dict[str, int] = {}
for _template in (*REGULAR_TEMPLATES, *SPECIAL_TEMPLATES):
    CATEGORY_RANK.setdefault(_template.category, len(CATEGORY_RANK))
