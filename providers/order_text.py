"""What the text fields of an order may hold, checked before any panel sees them.

Panels take a link as an http(s) URL, and usernames in their own fields (``username``,
``usernames``) for the service types that take them (PANELS.md). Anything else (``javascript:``
links, control characters, text that was not valid UTF-8, a link of 60,000 characters) is refused
here rather than placed as a real order; a refused link says the panels' own ``Incorrect link``.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_LINK = 2048
MAX_HANDLE = 100
MAX_TEXT = 50_000
INCORRECT_LINK = "Incorrect link"

_REPLACEMENT = "\ufffd"  # what undecodable bytes became on the way in
_LINE_BREAKS = frozenset("\n\r\t")


def _sound(text: str, *, multiline: bool) -> bool:
    """Valid text: no undecodable bytes, no control or format characters (bidi overrides,
    zero-width marks), line breaks only where lines are expected."""
    for char in text:
        if char == _REPLACEMENT:
            return False
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return False
    return True


def check_link(value: str | None) -> str | None:
    """An absolute http(s) URL naming a host, at most `MAX_LINK` characters."""
    if value is None:
        return None
    if not value or len(value) > MAX_LINK or not _sound(value, multiline=False):
        raise ValueError(INCORRECT_LINK)
    if any(char.isspace() for char in value):
        raise ValueError(INCORRECT_LINK)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        raise ValueError(INCORRECT_LINK) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(INCORRECT_LINK)
    return value


def check_handles(value: str | None) -> str | None:
    """Usernames, one per line: no control characters, each at most `MAX_HANDLE`."""
    if value is None:
        return None
    if len(value) > MAX_TEXT or not _sound(value, multiline=True):
        raise ValueError("Incorrect username")
    if any(len(line.strip()) > MAX_HANDLE for line in value.splitlines()):
        raise ValueError("Incorrect username")
    return value


def check_text(value: str | None) -> str | None:
    """Free text (comments, keywords, hashtags...): valid and bounded."""
    if value is None:
        return None
    if len(value) > MAX_TEXT or not _sound(value, multiline=True):
        raise ValueError("Incorrect text: invalid characters or too long")
    return value
