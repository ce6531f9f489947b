"""Errors a client may see as GraphQL errors, and which ones are unexpected (and so masked).

Expected failures of a mutation are typed payloads (see `payloads`), not errors. What remains as
an error is a request the schema cannot serve as asked: a missing key or scope (``permissions``),
a bad argument (`BadInput`), or a broken query (parse, validation, limits). Everything else is a
bug or an outage: masked as ``INTERNAL_SERVER_ERROR`` and logged with the request id.

graphql-core repeats a bad value in its message (``Variable '$x' got invalid value ...``), up
to hundreds of characters of it, and a literal in the document whole: `shorten_echoes` keeps
the variable, the path and the expected type, and of each echoed value a short prefix.
"""

from __future__ import annotations

import re

from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError

BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL_SERVER_ERROR"


class BadInput(GraphQLError):
    """An argument the resolver cannot use; the message is for the client."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        extensions: dict[str, object] = {"code": BAD_USER_INPUT}
        if field is not None:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


MAX_ECHO = 24
"""Longest value a message repeats as it is; a longer one is cut to this, ``...`` included."""
MAX_MESSAGE = 300
"""Longest message a client gets (a backstop: values are shortened one by one first)."""

# graphql-core's words when a built-in scalar's parser raised on the caller's value (Python's
# own sentence, e.g. on an integer of thousands of digits, follows in quotes).
_PARSER_RAISED = re.compile(
    r"Expected value of type '[^']*', but encountered error '.*?'; found:", re.DOTALL
)
# A quoted value opens after no letter (so the apostrophe of "caller's" opens none).
_QUOTED = re.compile(r"(?<!\w)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", re.DOTALL)
_LONG_WORD = re.compile(rf"[^\s'\"]{{{MAX_ECHO + 1},}}")


def is_expected(error: GraphQLError) -> bool:
    """Whether `error` was meant for the client (else it is masked)."""
    original = error.original_error
    # No original error: graphql-core itself refused the document or the variables.
    if original is None or isinstance(original, GraphQLError | StrawberryInputCoercionError):
        return True
    # A built-in scalar refused the caller's value by raising (an Int of 5,000 digits).
    return error.path is None and _PARSER_RAISED.search(error.message) is not None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def _shorten_quoted(match: re.Match[str]) -> str:
    quoted = match.group()
    return quoted[0] + _cut(quoted[1:-1]) + quoted[-1]


def shorten_echoes(message: str) -> str:
    """`message` with every long value it repeats cut to a prefix and ``...``, and with no
    parser's internal sentence: ``Value 'xxxxxxxx(5,000 x)' does not exist in 'Need' enum.``
    becomes ``Value 'xxxxxxxxxxxxxxxxxxxxxxx...' does not exist in 'Need' enum.``"""
    text = _PARSER_RAISED.sub(lambda m: m.group().split(",", 1)[0] + ", found:", message)
    # Quoted values first (a quoted value may hold spaces), then unquoted ones (numbers,
    # enum names, lists printed from the document).
    text = _QUOTED.sub(_shorten_quoted, text)
    text = _LONG_WORD.sub(lambda m: _cut(m.group()), text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."
