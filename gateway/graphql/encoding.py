"""The JSON text of GraphQL answers: what Strawberry writes (``json.dumps(data,
separators=(",", ":"))``, ASCII only), by orjson whenever orjson gives the same text.

orjson writes the same compact text for strings, integers up to 64 bits, booleans, null, lists
and objects, several times faster on a page of services. It differs on non-ASCII characters and
DEL (``json`` escapes them), on floats below 1e-4 or from 1e16 (``json`` writes ``1e-05`` and
``1e+16``), and it declines what it would write otherwise (a larger integer, a non-text key,
subclasses, dataclasses, dates): for all of these the standard encoder writes the answer, so
the text never changes. A text that merely looks like such a float (``"5e"`` in a name) takes
the standard road too. (A plain `Enum`, which the standard encoder refuses, orjson writes as its
value; no answer holds one: graphql-core serializes enums to their names.)
"""

from __future__ import annotations

import json

import orjson

_DIGITS = bytes.maketrans(b"123456789", b"000000000")
"""Every digit made 0: a digit before an exponent is then ``0e``, a search without a regex (a
regex over a page takes ten times as long as orjson writing it)."""
_DECLINE = (
    orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)  # fmt: skip


def standard_text(data: object) -> str:
    """The answer as Strawberry's view encodes it."""
    return json.dumps(data, separators=(",", ":"))


def answer_text(data: object) -> str:
    """`standard_text(data)`, by orjson when it gives the same text."""
    try:
        encoded = orjson.dumps(data, option=_DECLINE)
    except TypeError:  # orjson.JSONEncodeError included
        return standard_text(data)
    if (
        not encoded.isascii()
        or b"\x7f" in encoded
        or b"0.0000" in encoded
        or b"0e" in encoded.translate(_DIGITS)
    ):
        return standard_text(data)
    return encoded.decode("ascii")
