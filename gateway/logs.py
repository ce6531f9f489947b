"""Logging that never carries a secret.

Panel clients and ``get_v1``-style providers put API keys in query strings (``?key=...``);
uvicorn's access log and httpx's request log would write them out. A filter on those loggers
blanks every ``key=`` (and ``api_key=``, ``token=``) value before a record is emitted.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

from graphql import GraphQLError

_SECRET_PARAMS = re.compile(r"(?i)\b((?:api_?)?key|token|secret)=([^&\s\"']+)")
REDACTED_LOGGERS = ("uvicorn.access", "httpx", "httpcore")


def redact(text: str) -> str:
    """``/api/v2?key=abc&action=balance`` -> ``/api/v2?key=***&action=balance``."""
    return _SECRET_PARAMS.sub(r"\1=***", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments with their secrets blanked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else _text(a) for a in record.args)
        return True


def _text(value: object) -> object:
    # httpx logs URL objects; their text may carry the key.
    text = str(value)
    redacted = redact(text)
    return redacted if redacted != text else value


CLIENT_MISTAKE_LOGGERS = ("strawberry.execution",)
"""Loggers that report a client's mistakes (Strawberry logs every GraphQL error, with its
traceback, at ERROR)."""
MAX_MESSAGE = 200


class ClientMistakes(logging.Filter):
    """A client's mistake (a GraphQL error meant for the client: no key, no scope, a bad
    argument, a broken query) becomes one INFO line without a traceback, and at most `budget`
    such lines are written per `per` seconds, so that no caller can grow the log fast; the next
    line written says how many were left out. Unexpected errors pass untouched."""

    def __init__(
        self, budget: int = 30, per: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._budget, self._per, self._clock = budget, per, clock
        self._window_start = clock()
        self._written = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError) or not _client_mistake(error):
            return True
        with self._lock:
            now = self._clock()
            if now - self._window_start >= self._per:
                self._window_start, self._written = now, 0
            if self._written >= self._budget:
                self._dropped += 1
                return False
            self._written += 1
            dropped, self._dropped = self._dropped, 0
        code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION")
        message = str(error.message)
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + "..."
        record.msg = "GraphQL client error %s: %s%s"
        record.args = (code, message, f" ({dropped} similar lines left out)" if dropped else "")
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def _client_mistake(error: GraphQLError) -> bool:
    # Imported here: loading the GraphQL package builds the whole schema.
    from gateway.graphql.errors import is_expected

    return is_expected(error)


def install() -> None:
    """Attach the filter to every logger known to write request URLs; keep httpx's request
    lines (one per panel call, at INFO) out of the gateway's log unless a level was chosen;
    write a client's mistakes as sampled one-line INFO records."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    for name in CLIENT_MISTAKE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClientMistakes) for f in logger.filters):
            logger.addFilter(ClientMistakes())
    quiet = logging.getLogger("httpx")
    if quiet.level == logging.NOTSET:
        quiet.setLevel(logging.WARNING)
