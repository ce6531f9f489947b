"""Read what a panel service sells from its name, category and type.

Panels name the same product a hundred ways ("IG Followers | ♻️ R30 | 🇺🇸", "Instagram
Followers [30 Days Refill] USA"). `classify` turns that text into fields the catalog can group
by, driven by tables (`gateway.classify_tables`) rather than by code::

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

What a classification holds (`Platform`, `Metric`, `Classification`, `group_key`, ...) is in
`gateway.classification` and is imported from here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

from gateway.classification import (
    Classification,
    GroupKey,
    Metric,
    OrderType,
    Platform,
    Refill,
    RefillKind,
    Target,
    group_key,
)
from gateway.classify_tables import (
    AUTO,
    BRACKETED_CODE,
    BUNDLE_JOINER,
    EMOJI_WORDS,
    FLAG,
    GEO,
    LIFETIME,
    METRICS,
    NO_REFILL,
    ORDER_TYPE_ALIASES,
    PLATFORM_METRICS,
    PLATFORMS,
    QUALITY,
    REFERRER,
    REFILL_DAYS,
    REGIONS,
    SEGMENT,
    SOME_REFILL,
    TYPE_METRICS,
    TYPE_TARGETS,
    UNIT_DAYS,
)

__all__ = [
    "Classification",
    "GroupKey",
    "Metric",
    "OrderType",
    "Platform",
    "Refill",
    "RefillKind",
    "Target",
    "classify",
    "group_key",
    "normalise",
    "parse_geo",
    "parse_order_type",
    "parse_refill",
    "parse_region",
]

_T = TypeVar("_T")


def normalise(text: str) -> str:
    """Fold fancy letters, read meaningful emoji, keep ``+ & / |`` and turn other marks to spaces.

    Case is kept: upper-case codes ("X", "NR", "US") mean more than their lower-case twins.
    """
    text = FLAG.sub(" ", text)
    for emoji, word in EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalnum():
            out.append(ch)
        elif ch in "+&/":
            out.append(f" {ch} ")
        else:
            out.append(" | " if ch in SEGMENT else " ")
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
    found = _leftmost(PLATFORMS, text, lambda m: bool(REFERRER.search(text[: m.start()])))
    return None if found is None else found[0]


def _metrics(text: str) -> list[tuple[Metric, Target]]:
    """The leftmost metric phrase, then the ones bundled to it by joiners."""
    hits = sorted(
        (m.start(), order, m.end(), value)
        for order, (value, rx) in enumerate(METRICS)
        for m in rx.finditer(text)
    )
    chain: list[tuple[Metric, Target]] = []
    end = -1
    for start, _, stop, value in hits:
        if start < end:
            continue  # inside a phrase already read, like "likes" in "comment likes"
        if chain and not BUNDLE_JOINER.fullmatch(text[end:start]):
            break
        chain.append(value)
        end = stop
    return chain


def parse_order_type(text: str | None) -> OrderType:
    """Normalise a panel type: "Custom Comments" -> `OrderType.CUSTOM_COMMENTS`; None is Default."""
    squashed = re.sub(r"[^a-z]", "", (text or "").lower())
    if squashed in ORDER_TYPE_ALIASES:
        return ORDER_TYPE_ALIASES[squashed]
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
    if NO_REFILL.search(text):
        return Refill(RefillKind.NONE)
    if LIFETIME.search(text):
        return Refill(RefillKind.LIFETIME)
    found = REFILL_DAYS.search(text)
    if found is not None:
        groups = found.groups()
        at = next(i for i in range(0, len(groups), 2) if groups[i] is not None)
        count, unit = groups[at], groups[at + 1]
        days = int(count) * UNIT_DAYS[(unit or "d").lower().rstrip("s")]
        return Refill(RefillKind.DAYS, days) if days else Refill(RefillKind.NONE)
    if SOME_REFILL.search(text):
        return Refill(RefillKind.UNSPECIFIED)
    return Refill(RefillKind.UNKNOWN)


def parse_geo(text: str) -> str | None:
    """The country a service targets, as an ISO 3166 alpha-2 code, or None when none is named.

    A flag wins; otherwise the leftmost country name, demonym or upper-case code.
    """
    for flag in FLAG.findall(text):
        code = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in flag)
        if code not in ("EU", "UN"):
            return code
    found = _leftmost(GEO, normalise(text))
    if found is not None:
        return found[0]
    bracketed = BRACKETED_CODE.search(text)
    return None if bracketed is None else bracketed.group(1)


def parse_region(text: str) -> str | None:
    """A region that is not one country ("arab", "latam", "europe", "asia", "africa")."""
    if "🇪🇺" in text:
        return "europe"
    found = _leftmost(REGIONS, normalise(text))
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
    if not chain and order_type in TYPE_METRICS:
        chain = [(TYPE_METRICS[order_type], Target.ANY)]
    chain = chain or _metrics(norm_category) or [(Metric.OTHER, Target.ANY)]
    metric, target = chain[0]
    target = TYPE_TARGETS.get(order_type, target)
    if order_type is OrderType.WEB_TRAFFIC or (platform is None and metric is Metric.TRAFFIC):
        platform = Platform.WEBSITE
    platform = platform or Platform.OTHER
    metric = PLATFORM_METRICS.get((platform, metric), metric)
    extras = {PLATFORM_METRICS.get((platform, m), m) for m, _ in chain[1:]} - {metric}

    refill = parse_refill(name)
    if refill.kind is RefillKind.UNKNOWN:
        refill = parse_refill(category)
    if refill.kind is RefillKind.UNKNOWN and refill_flag is not None:
        refill = Refill(RefillKind.UNSPECIFIED if refill_flag else RefillKind.NONE)

    geo = parse_geo(name) or parse_geo(category)
    region = None if geo else parse_region(name) or parse_region(category)
    both = f"{norm_name} | {norm_category}"
    quality = frozenset(tag for tag, rx in QUALITY if rx.search(both))
    return Classification(
        platform=platform,
        metric=metric,
        order_type=order_type,
        refill=refill,
        geo=geo,
        region=region,
        target=target,
        extras=frozenset(extras),
        auto=bool(AUTO.search(norm_name)),
        quality=quality,
    )
