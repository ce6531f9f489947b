"""The tables `gateway.classify` reads service names with: data, not code.

Each pattern matches whole words, case-insensitively, unless an entry opts out with
``(?-i:...)`` (upper-case codes such as "X", "NR", "US" mean more than their lower-case twins).
Tables of ``(value, pattern)`` rows are checked in order at each position of the text: the
leftmost match wins, and at one position the earlier row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gateway.classification import Metric, OrderType, Platform, Target


def _rx(pattern: str) -> re.Pattern[str]:
    # Whole words, case-insensitive; a table entry opts out with (?-i:...).
    return re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)


# Checked in order at each position; the leftmost match in the text wins.
PLATFORMS: Sequence[tuple[Platform, re.Pattern[str]]] = [
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
REFERRER = re.compile(r"\b(?:from|via|source|referr?er|referral)\s*$", re.IGNORECASE)

_ANY, _COMMENT, _PAGE, _STORY, _LIVE = Target
# Compound phrases first: at the same position the earlier row wins.
METRICS: Sequence[tuple[tuple[Metric, Target], re.Pattern[str]]] = [
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
BUNDLE_JOINER = re.compile(r"\s*(?:\+|&|and|plus|/)\s*", re.IGNORECASE)

# The same product under a platform's own word.
PLATFORM_METRICS: dict[tuple[Platform, Metric], Metric] = {
    (Platform.TELEGRAM, Metric.SUBSCRIBERS): Metric.MEMBERS,
    (Platform.TWITTER, Metric.REPOSTS): Metric.RETWEETS,
}

ORDER_TYPE_ALIASES = {"": OrderType.DEFAULT, "subscription": OrderType.SUBSCRIPTIONS}
# What a type delivers when the name does not say.
TYPE_METRICS: dict[OrderType, Metric] = {
    OrderType.CUSTOM_COMMENTS: Metric.COMMENTS,
    OrderType.CUSTOM_COMMENTS_PACKAGE: Metric.COMMENTS,
    OrderType.COMMENT_REPLIES: Metric.COMMENTS,
    OrderType.COMMENT_LIKES: Metric.LIKES,
    OrderType.POLL: Metric.VOTES,
    OrderType.WEB_TRAFFIC: Metric.TRAFFIC,
    OrderType.INVITES_FROM_GROUPS: Metric.MEMBERS,
    **{t: Metric.MENTIONS for t in OrderType if t.startswith("mentions")},
}
TYPE_TARGETS = {OrderType.COMMENT_LIKES: _COMMENT, OrderType.COMMENT_REPLIES: _COMMENT}

# Refill phrases, on normalised text ("♻️" already reads "refill", "❌" reads "no").
_UNIT = r"d|days?|weeks?|months?|years?"
UNIT_DAYS = {"d": 1, "day": 1, "week": 7, "month": 30, "year": 365}
_GUARANTEE = r"refill|guaranteed?|warranty"
NO_REFILL = _rx(
    r"(?:no|non|without|zero)\s*(?:refill|guarantee)\w*|(?-i:NR)"
    r"|(?:refill|guarantee)\s*(?:no|none|off|disabled|not\s*available)(?!\s*drop)"
    r"|(?:refill|R)\s*0\s*(?:d|days?)?"
)
LIFETIME = _rx(rf"life\s*time|lifelong|(?-i:LT)\s*refill|(?:forever|unlimited)\s*(?:{_GUARANTEE})")
# The leftmost of "R30", "Refill 30 Days", "30D Refill"; each branch captures (count, unit).
REFILL_DAYS = _rx(
    rf"A?R\s?(\d{{1,4}})\s*({_UNIT})?"
    rf"|(?:{_GUARANTEE})\s*(?:period\s*|for\s*)?(\d{{1,4}})\s*({_UNIT})?"
    rf"|(\d{{1,4}})\s*({_UNIT})\s*(?:auto\s*)?(?:{_GUARANTEE})"
)
SOME_REFILL = _rx(rf"(?:auto\s*)?refill(?:able)?|{_GUARANTEE}")

FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")
# Country codes that are also English words count only in brackets: "[IN]", not "Likes IN 1h".
BRACKETED_CODE = re.compile(r"[\[(]\s*(IN|IT|ID|AR|MY)\s*[\])]")
GEO: Sequence[tuple[str, re.Pattern[str]]] = [
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
REGIONS: Sequence[tuple[str, re.Pattern[str]]] = [
    ("arab", _rx(r"arab|arabic|arabian|mena|gulf|gcc|middle\s*east|khaleeji")),
    ("latam", _rx(r"latam|latin\w*|hispanic|south\s*america\w*")),
    ("europe", _rx(r"europe|european|(?-i:EU)")),
    ("asia", _rx(r"asia|asian")),
    ("africa", _rx(r"africa|african")),
]
QUALITY: Sequence[tuple[str, re.Pattern[str]]] = [
    ("real", _rx(r"real|genuine|organic")),
    ("hq", _rx(r"hq|high\s*quality|premium")),
    ("lq", _rx(r"lq|low\s*quality")),
    ("bot", _rx(r"bots?|fake")),
    ("instant", _rx(r"instant")),
    ("non_drop", _rx(r"(?:non|no|zero|never)\s*drop|nondrop|drop\s*free")),
]
AUTO = _rx(r"auto(?:matic)?(?!\s*refill)")

# Emoji that carry meaning; every other symbol becomes a space.
EMOJI_WORDS = {"♻": " refill ", "♾": " lifetime ", "❌": " no ", "🚫": " no ", "⛔": " no "}
SEGMENT = frozenset("|,;•·")
