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


# Format characters real writing needs: the zero-width non-joiner and joiner (Persian words,
# emoji sequences such as a family or a rainbow flag), the direction marks of right-to-left
# text, and the tags of subdivision flags. Overrides, isolates and zero-width spaces stay out.
_PROSE_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c") | frozenset(
    chr(code) for code in range(0xE0020, 0xE0080)
)


def _noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _sound(text: str, *, multiline: bool, prose: bool = False) -> bool:
    """Valid text: no undecodable bytes, no control or format characters (bidi overrides,
    zero-width marks), line breaks only where lines are expected. `prose` (comments and the
    like) also takes the format characters real writing needs (`_PROSE_FORMAT`) and characters
    newer than this Python's Unicode tables (the latest emoji), noncharacters excepted."""
    for char in text:
        if char == _REPLACEMENT:
            return False
        if multiline and char in _LINE_BREAKS:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co"):
            return False
        if category == "Cf" and not (prose and char in _PROSE_FORMAT):
            return False
        if category == "Cn" and (not prose or _noncharacter(char)):
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
    """Usernames, one per line: no control characters nor spaces, each at most `MAX_HANDLE`."""
    if value is None:
        return None
    if len(value) > MAX_TEXT or not _sound(value, multiline=True):
        raise ValueError("Incorrect username")
    for line in value.splitlines():
        handle = line.strip()
        if len(handle) > MAX_HANDLE or any(char.isspace() for char in handle):
            raise ValueError("Incorrect username")
    return value


def check_text(value: str | None) -> str | None:
    """Free text (comments, keywords, hashtags...): valid and bounded."""
    if value is None:
        return None
    if len(value) > MAX_TEXT or not _sound(value, multiline=True, prose=True):
        raise ValueError("Incorrect text: invalid characters or too long")
    return value
