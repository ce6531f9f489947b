"""Read what a panel service sells from its name, category and type.

Panels name the same product a hundred ways ("IG Followers | ♻️ R30 | 🇺🇸", "Instagram
Followers [30 Days Refill] USA"). `classify` turns that text into fields the catalog can group
by, driven by the tables below rather than by code::

    >>> c = classify("🔥 IG Followers | ♻️ 30D | 🇺🇸", "Instagram", "Default")
    >>> c.platform.value, c.metric.value, c.refill.kind.value, c.refill.days, c.geo
    ('instagram', 'followers', 'days', 30, 'US')

Rules, in the order they apply:

- The name wins over the category; the category only fills in what the name leaves out.
- The leftmost metric phrase in the name is the metric; compound phrases are read as one
  ("Comment Likes" is LIKES on a comment, "Story Views" is STORY_VIEWS, "Live Stream Views"
  is STREAMS). Metrics joined to it by ``+``, ``&``, ``and``, ``/`` are a bundle, kept in `extras`.
- STREAMS means viewers of a live broadcast; VIEWS is views of recorded content; PLAYS is audio
  plays, so "Spotify Streams" are PLAYS.
- When the name names no metric, the panel type speaks before the category (a Custom Comments
  service sells comments, a Poll sells votes). A Web Traffic service always delivers to a
  website, whichever platform the visitors come from.
- Geo is an ISO 3166 alpha-2 code, only when a country is named; a named region ("Arab",
  "LATAM", "Europe") goes to `region` instead. Two-letter codes count only as upper-case whole
  words, and those that are also English words (IN, IT, ID, ...) only in brackets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

_T = TypeVar("_T")


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


def _rx(pattern: str) -> re.Pattern[str]:
    # Whole words, case-insensitive; a table entry opts out with (?-i:...).
    return re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)


# Checked in order at each position; the leftmost match in the text wins.
_PLATFORMS: Sequence[tuple[Platform, re.Pattern[str]]] = [
    (Platform.WEBSITE, _rx(r"websites?|web\s*traffic|site\s*(?:traffic|visits?|visitors)")),
    (Platform.GOOGLE, _rx(r"google\s*(?:maps?|reviews?|business|my\s*business|local)|gmb")),
    (Platform.TRUSTPILOT, _rx(r"trust\s*pilot")),
    (Platform.THREADS, _rx(r"threads")),
    (Platform.INSTAGRAM, _rx(r"(?:instagram|insta|ig|igtv)(?!\s*threads)")),
    (Platform.TIKTOK, _rx(r"tik\s*tok|tt")),
    (Platform.YOUTUBE, _rx(r"you\s*tube|yt")),
    (Platform.FACEBOOK, _rx(r"face\s*book|fb")),
    # "X" only as an upper-case word, not in "10 X 100"; "10x", "x2", "Max" never reach here.
    (Platform.TWITTER, _rx(r"twitter|tweets?|x\s*com|(?-i:(?<!\d\s)X(?!\s\d))")),
    (Platform.TELEGRAM, _rx(r"tele\s*gram|tg")),
    (Platform.SPOTIFY, _rx(r"spotify")),
    (Platform.TWITCH, _rx(r"twitch")),
    (Platform.DISCORD, _rx(r"discord")),
    (Platform.LINKEDIN, _rx(r"linked\s*in")),
    (Platform.SOUNDCLOUD, _rx(r"sound\s*cloud")),
    (Platform.PINTEREST, _rx(r"pinterest")),
    (Platform.REDDIT, _rx(r"reddit")),
    (Platform.SNAPCHAT, _rx(r"snap\s*chat")),
    (Platform.KICK, _rx(r"kick")),
    (Platform.WHATSAPP, _rx(r"whats\s*app")),
    (Platform.VK, _rx(r"vk|vkontakte")),
    (Platform.QUORA, _rx(r"quora")),
    (Platform.TUMBLR, _rx(r"tumblr")),
    (Platform.APPLE_MUSIC, _rx(r"apple\s*music|itunes")),
    (Platform.DEEZER, _rx(r"deezer")),
    (Platform.SHAZAM, _rx(r"shazam")),
    (Platform.AUDIOMACK, _rx(r"audiomack")),
]

# A platform named as the source of traffic is not where the service delivers.
_REFERRER = re.compile(r"\b(?:from|via|source|referr?er|referral)\s*$", re.IGNORECASE)

_ANY, _COMMENT, _PAGE, _STORY, _LIVE = Target
# Compound phrases first: at the same position the earlier row wins.
_METRICS: Sequence[tuple[tuple[Metric, Target], re.Pattern[str]]] = [
    ((Metric.LIKES, _COMMENT), _rx(r"comments?\s*likes?|likes?\s*(?:on|for|to)\s*comments?")),
    ((Metric.COMMENTS, _COMMENT), _rx(r"comments?\s*repl(?:y|ies)")),
    ((Metric.STORY_VIEWS, _STORY), _rx(r"stor(?:y|ies)\s*views?")),
    ((Metric.LIKES, _STORY), _rx(r"stor(?:y|ies)\s*likes?")),
    ((Metric.LIKES, _PAGE), _rx(r"page\s*likes?")),
    ((Metric.FOLLOWERS, _PAGE), _rx(r"page\s*(?:followers?|follows)")),
    ((Metric.STREAMS, _LIVE), _rx(r"live\s*(?:video\s*|stream(?:ing|s)?\s*)?(?:views?|viewers?)")),
    ((Metric.STREAMS, _LIVE), _rx(r"(?:live\s*)?stream(?:ing)?\s*(?:views?|viewers?)|viewers?")),
    ((Metric.STREAMS, _LIVE), _rx(r"live\s*stream(?:ing|s)?")),
    ((Metric.LIKES, _LIVE), _rx(r"live\s*(?:likes?|hearts?)")),
    ((Metric.COMMENTS, _LIVE), _rx(r"live\s*comments?")),
    ((Metric.MONTHLY_LISTENERS, _ANY), _rx(r"monthly\s*listeners?")),
    ((Metric.WATCH_TIME, _ANY), _rx(r"watch\s*(?:time|hours?)|\d+\s*hours?\s*watch|4000\s*h\w*")),
    ((Metric.FOLLOWERS, _ANY), _rx(r"followers?|follows?|folls|fans")),
    ((Metric.SUBSCRIBERS, _ANY), _rx(r"subscribers?|subs|subscribes")),
    ((Metric.MEMBERS, _ANY), _rx(r"members?|mbrs?")),
    ((Metric.LIKES, _ANY), _rx(r"likes?|hearts?|fav(?:ou?rite)?s?")),
    ((Metric.REACTIONS, _ANY), _rx(r"reactions?|reacts?")),
    ((Metric.COMMENTS, _ANY), _rx(r"comments?|replies")),
    ((Metric.SHARES, _ANY), _rx(r"shares?")),
    ((Metric.SAVES, _ANY), _rx(r"saves?|bookmarks?|repins?")),
    ((Metric.VOTES, _ANY), _rx(r"(?:up|down)?\s*votes?|polls?")),
    ((Metric.RETWEETS, _ANY), _rx(r"re\s*tweets?")),
    ((Metric.REPOSTS, _ANY), _rx(r"re\s*posts?|reblogs?")),
    ((Metric.IMPRESSIONS, _ANY), _rx(r"impressions?")),
    ((Metric.REACH, _ANY), _rx(r"reach")),
    ((Metric.LISTENERS, _ANY), _rx(r"listeners?")),
    ((Metric.PLAYS, _ANY), _rx(r"plays|streams|listens")),
    ((Metric.REVIEWS, _ANY), _rx(r"reviews?|ratings?")),
    ((Metric.MENTIONS, _ANY), _rx(r"mentions?")),
    ((Metric.TRAFFIC, _ANY), _rx(r"traffic|visits?|visitors?|clicks?")),
    ((Metric.CONNECTIONS, _ANY), _rx(r"connections?")),
    ((Metric.FRIENDS, _ANY), _rx(r"friends?(?:\s*requests?)?")),
    ((Metric.VIEWS, _ANY), _rx(r"views?")),
]
_BUNDLE_JOINER = re.compile(r"\s*(?:\+|&|and|plus|/)\s*", re.IGNORECASE)

# The same product under a platform's own word.
_PLATFORM_METRICS: dict[tuple[Platform, Metric], Metric] = {
    (Platform.TELEGRAM, Metric.SUBSCRIBERS): Metric.MEMBERS,
    (Platform.TWITTER, Metric.REPOSTS): Metric.RETWEETS,
}

_ORDER_TYPE_ALIASES = {"": OrderType.DEFAULT, "subscription": OrderType.SUBSCRIPTIONS}
# What a type delivers when the name does not say.
_TYPE_METRICS: dict[OrderType, Metric] = {
    OrderType.CUSTOM_COMMENTS: Metric.COMMENTS,
    OrderType.CUSTOM_COMMENTS_PACKAGE: Metric.COMMENTS,
    OrderType.COMMENT_REPLIES: Metric.COMMENTS,
    OrderType.COMMENT_LIKES: Metric.LIKES,
    OrderType.POLL: Metric.VOTES,
    OrderType.WEB_TRAFFIC: Metric.TRAFFIC,
    OrderType.INVITES_FROM_GROUPS: Metric.MEMBERS,
    **{t: Metric.MENTIONS for t in OrderType if t.startswith("mentions")},
}
_TYPE_TARGETS = {OrderType.COMMENT_LIKES: _COMMENT, OrderType.COMMENT_REPLIES: _COMMENT}

# Refill phrases, on normalised text ("♻️" already reads "refill", "❌" reads "no").
_UNIT = r"d|days?|weeks?|months?|years?"
_UNIT_DAYS = {"d": 1, "day": 1, "week": 7, "month": 30, "year": 365}
_GUARANTEE = r"refill|guaranteed?|warranty"
_NO_REFILL = _rx(
    r"(?:no|non|without|zero)\s*(?:refill|guarantee)\w*|(?-i:NR)"
    r"|(?:refill|guarantee)\s*(?:no|none|off|disabled|not\s*available)(?!\s*drop)"
    r"|(?:refill|R)\s*0\s*(?:d|days?)?"
)
_LIFETIME = _rx(rf"life\s*time|lifelong|(?-i:LT)\s*refill|(?:forever|unlimited)\s*(?:{_GUARANTEE})")
# The leftmost of "R30", "Refill 30 Days", "30D Refill"; each branch captures (count, unit).
_REFILL_DAYS = _rx(
    rf"A?R\s?(\d{{1,4}})\s*({_UNIT})?"
    rf"|(?:{_GUARANTEE})\s*(?:period\s*|for\s*)?(\d{{1,4}})\s*({_UNIT})?"
    rf"|(\d{{1,4}})\s*({_UNIT})\s*(?:auto\s*)?(?:{_GUARANTEE})"
)
_SOME_REFILL = _rx(rf"(?:auto\s*)?refill(?:able)?|{_GUARANTEE}")

_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")
# Country codes that are also English words count only in brackets: "[IN]", not "Likes IN 1h".
_BRACKETED_CODE = re.compile(r"[\[(]\s*(IN|IT|ID|AR|MY)\s*[\])]")
_GEO: Sequence[tuple[str, re.Pattern[str]]] = [
    (code, _rx(pattern))
    for code, pattern in [
        ("US", r"usa|(?-i:US|U\s?S\s?A)|united\s*states|(?<!latin\s|south\s|north\s)americans?"),
        ("GB", r"uk|united\s*kingdom|great\s*britain|britain|british|england|(?-i:GB)"),
        ("BR", r"brazil|brasil|brazilian|brasileiros?|(?-i:BR)"),
        ("IN", r"india|indian"),
        ("TR", r"turkey|turkish|t[uü]rkiye|(?-i:TR)"),
        ("RU", r"russia|russian|(?-i:RU)"),
        ("DE", r"germany|german|deutschland|(?-i:DE)"),
        ("FR", r"france|french|(?-i:FR)"),
        ("IT", r"italy|italian"),
        ("ES", r"spain|(?-i:ES)"),
        ("PT", r"portugal|(?-i:PT)"),
        ("ID", r"indonesia|indonesian"),
        ("JP", r"japan|japanese|(?-i:JP)"),
        ("KR", r"(?:south\s*)?korea|korean|(?-i:KR)"),
        ("CN", r"china|chinese|(?-i:CN)"),
        ("MX", r"mexico|mexican|(?-i:MX)"),
        ("AR", r"argentina|argentinian|argentine"),
        ("CO", r"colombia|colombian"),
        ("CL", r"chile|chilean"),
        ("PE", r"peru|peruvian"),
        ("CA", r"canada|canadian|(?-i:CA)"),
        ("AU", r"australia|australian|(?-i:AU)"),
        ("PK", r"pakistan|pakistani|(?-i:PK)"),
        ("BD", r"bangladesh|bangladeshi|(?-i:BD)"),
        ("PH", r"philippines|filipino|pinoy|(?-i:PH)"),
        ("VN", r"vietnam|vietnamese|(?-i:VN)"),
        ("TH", r"thailand|thai|(?-i:TH)"),
        ("MY", r"malaysia|malaysian"),
        ("SA", r"saudi(?:\s*arabia)?|(?-i:KSA|SA)"),
        ("AE", r"uae|emirates|dubai|(?-i:AE)"),
        ("EG", r"egypt|egyptian|(?-i:EG)"),
        ("MA", r"morocco|moroccan"),
        ("IQ", r"iraq|iraqi|(?-i:IQ)"),
        ("IR", r"iran|iranian|persian|(?-i:IR)"),
        ("IL", r"israel|israeli|(?-i:IL)"),
        ("ZA", r"south\s*africa|(?-i:ZA)"),
        ("NG", r"nigeria|nigerian|(?-i:NG)"),
        ("KE", r"kenya|kenyan"),
        ("UA", r"ukraine|ukrainian|(?-i:UA)"),
        ("PL", r"poland|(?-i:PL)"),
        ("NL", r"netherlands|holland|dutch|(?-i:NL)"),
        ("SE", r"sweden|swedish"),
        ("NO", r"norway|norwegian"),
        ("GR", r"greece|greek|(?-i:GR)"),
        ("AZ", r"azerbaijan|azeri|(?-i:AZ)"),
        ("KZ", r"kazakhstan|(?-i:KZ)"),
        ("UZ", r"uzbekistan|uzbek|(?-i:UZ)"),
    ]
]
_REGIONS: Sequence[tuple[str, re.Pattern[str]]] = [
    ("arab", _rx(r"arab|arabic|arabian|mena|gulf|gcc|middle\s*east|khaleeji")),
    ("latam", _rx(r"latam|latin\w*|hispanic|south\s*america\w*")),
    ("europe", _rx(r"europe|european|(?-i:EU)")),
    ("asia", _rx(r"asia|asian")),
    ("africa", _rx(r"africa|african")),
]
_QUALITY: Sequence[tuple[str, re.Pattern[str]]] = [
    ("real", _rx(r"real|genuine|organic")),
    ("hq", _rx(r"hq|high\s*quality|premium")),
    ("lq", _rx(r"lq|low\s*quality")),
    ("bot", _rx(r"bots?|fake")),
    ("instant", _rx(r"instant")),
    ("non_drop", _rx(r"(?:non|no|zero|never)\s*drop|nondrop|drop\s*free")),
]
_AUTO = _rx(r"auto(?:matic)?(?!\s*refill)")

# Emoji that carry meaning; every other symbol becomes a space.
_EMOJI_WORDS = {"♻": " refill ", "♾": " lifetime ", "❌": " no ", "🚫": " no ", "⛔": " no "}
_SEGMENT = frozenset("|,;•·")


def normalise(text: str) -> str:
    """Fold fancy letters, read meaningful emoji, keep ``+ & / |`` and turn other marks to spaces.

    Case is kept: upper-case codes ("X", "NR", "US") mean more than their lower-case twins.
    """
    text = _FLAG.sub(" ", text)
    for emoji, word in _EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalnum():
            out.append(ch)
        elif ch in "+&/":
            out.append(f" {ch} ")
        else:
            out.append(" | " if ch in _SEGMENT else " ")
    return " ".join("".join(out).split())


def _leftmost(
    table: Sequence[tuple[_T, re.Pattern[str]]],
    text: str,
    skip: Callable[[re.Match[str]], bool] = lambda m: False,
) -> tuple[_T, re.Match[str]] | None:
    best: tuple[tuple[int, int], _T, re.Match[str]] | None = None
    for order, (value, rx) in enumerate(table):
        for m in rx.finditer(text):
            if not skip(m):
                if best is None or (m.start(), order) < best[0]:
                    best = ((m.start(), order), value, m)
                break
    return None if best is None else (best[1], best[2])


def _platform(text: str) -> Platform | None:
    found = _leftmost(_PLATFORMS, text, lambda m: bool(_REFERRER.search(text[: m.start()])))
    return None if found is None else found[0]


def _metrics(text: str) -> list[tuple[Metric, Target]]:
    """The leftmost metric phrase, then the ones bundled to it by joiners."""
    hits = sorted(
        (m.start(), order, m.end(), value)
        for order, (value, rx) in enumerate(_METRICS)
        for m in rx.finditer(text)
    )
    chain: list[tuple[Metric, Target]] = []
    end = -1
    for start, _, stop, value in hits:
        if start < end:
            continue  # inside a phrase already read, like "likes" in "comment likes"
        if chain and not _BUNDLE_JOINER.fullmatch(text[end:start]):
            break
        chain.append(value)
        end = stop
    return chain


def parse_order_type(text: str | None) -> OrderType:
    """Normalise a panel type: "Custom Comments" -> `OrderType.CUSTOM_COMMENTS`; None is Default."""
    squashed = re.sub(r"[^a-z]", "", (text or "").lower())
    if squashed in _ORDER_TYPE_ALIASES:
        return _ORDER_TYPE_ALIASES[squashed]
    for kind in OrderType:
        if kind.value.replace("_", "") == squashed:
            return kind
    return OrderType.UNKNOWN


def parse_refill(text: str) -> Refill:
    """Read a refill promise: "R30", "♻️ 30D", "Lifetime", "No Refill", "Refill: No"...

    >>> parse_refill("Instagram Likes [AR30]")
    Refill(kind=<RefillKind.DAYS: 'days'>, days=30)
    """
    text = normalise(text)
    if _NO_REFILL.search(text):
        return Refill(RefillKind.NONE)
    if _LIFETIME.search(text):
        return Refill(RefillKind.LIFETIME)
    found = _REFILL_DAYS.search(text)
    if found is not None:
        groups = found.groups()
        at = next(i for i in range(0, len(groups), 2) if groups[i] is not None)
        count, unit = groups[at], groups[at + 1]
        days = int(count) * _UNIT_DAYS[(unit or "d").lower().rstrip("s")]
        return Refill(RefillKind.DAYS, days) if days else Refill(RefillKind.NONE)
    if _SOME_REFILL.search(text):
        return Refill(RefillKind.UNSPECIFIED)
    return Refill(RefillKind.UNKNOWN)


def parse_geo(text: str) -> str | None:
    """The country a service targets, as an ISO 3166 alpha-2 code, or None when none is named.

    A flag wins; otherwise the leftmost country name, demonym or upper-case code.
    """
    for flag in _FLAG.findall(text):
        code = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in flag)
        if code not in ("EU", "UN"):
            return code
    found = _leftmost(_GEO, normalise(text))
    if found is not None:
        return found[0]
    bracketed = _BRACKETED_CODE.search(text)
    return None if bracketed is None else bracketed.group(1)


def parse_region(text: str) -> str | None:
    """A region that is not one country ("arab", "latam", "europe", "asia", "africa")."""
    if "🇪🇺" in text:
        return "europe"
    found = _leftmost(_REGIONS, normalise(text))
    return None if found is None else found[0]


def classify(
    name: str,
    category: str = "",
    service_type: str | None = "Default",
    refill_flag: bool | None = None,
) -> Classification:
    """Classify one service from a panel's `services` list.

    `refill_flag` is the panel's own ``refill`` field; it only counts when the name and the
    category say nothing about refill.
    """
    order_type = parse_order_type(service_type)
    norm_name, norm_category = normalise(name), normalise(category)

    platform = _platform(norm_name) or _platform(norm_category)
    chain = _metrics(norm_name)
    if not chain and order_type in _TYPE_METRICS:
        chain = [(_TYPE_METRICS[order_type], Target.ANY)]
    chain = chain or _metrics(norm_category) or [(Metric.OTHER, Target.ANY)]
    metric, target = chain[0]
    target = _TYPE_TARGETS.get(order_type, target)
    if order_type is OrderType.WEB_TRAFFIC or (platform is None and metric is Metric.TRAFFIC):
        platform = Platform.WEBSITE
    platform = platform or Platform.OTHER
    metric = _PLATFORM_METRICS.get((platform, metric), metric)
    extras = {_PLATFORM_METRICS.get((platform, m), m) for m, _ in chain[1:]} - {metric}

    refill = parse_refill(name)
    if refill.kind is RefillKind.UNKNOWN:
        refill = parse_refill(category)
    if refill.kind is RefillKind.UNKNOWN and refill_flag is not None:
        refill = Refill(RefillKind.UNSPECIFIED if refill_flag else RefillKind.NONE)

    geo = parse_geo(name) or parse_geo(category)
    region = None if geo else parse_region(name) or parse_region(category)
    both = f"{norm_name} | {norm_category}"
    quality = frozenset(tag for tag, rx in _QUALITY if rx.search(both))
    return Classification(
        platform=platform,
        metric=metric,
        order_type=order_type,
        refill=refill,
        geo=geo,
        region=region,
        target=target,
        extras=frozenset(extras),
        auto=bool(_AUTO.search(norm_name)),
        quality=quality,
    )
