"""Logging that never carries a secret, and that no caller can grow fast.

Panel clients and ``get_v1``-style providers put API keys in query strings (``?key=...``);
uvicorn's access log and httpx's request log would write them out. A filter on those loggers
blanks every ``key=`` (and ``api_key=``, ``token=``) value before a record is emitted.

uvicorn writes one access line per request: 10,000 requests with bad keys would be 10,000
lines. `AccessThrottle` writes a few lines of refused requests per client address, then one
line saying how many it left out; `uvicorn_log_config` is uvicorn's configuration with the
formatter that writes that line.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

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
        message = _shortened(str(error.message))
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


def _shortened(message: str) -> str:
    from gateway.graphql.errors import shorten_echoes

    return shorten_echoes(message)


ACCESS_LOGGER = "uvicorn.access"
ACCESS_SUMMARY = "access_summary"
"""Attribute set on the records `AccessThrottle` writes itself."""


@dataclass(slots=True)
class _Window:
    start: float
    written: int = 0
    left_out: int = 0


class AccessThrottle(logging.Filter):
    """Writes at most `budget` access lines of refused requests (any 4xx: a missing or bad key,
    a forbidden scope, a rate limit, a malformed call) per client address per `per` seconds;
    then one line, ``suppressed K similar access lines from <address> in the last S s``, once
    that address's window has ended (written before the next access line of any caller) or the
    address is forgotten. An access line cannot tell who called, so a keyed client's 4xx count
    too. Successful and server-error lines always pass. At most `max_addresses` windows are
    kept, the least recently seen dropped first."""

    def __init__(
        self,
        budget: int = 20,
        per: float = 60.0,
        max_addresses: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._budget, self._per, self._max, self._clock = budget, per, max_addresses, clock
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if getattr(record, ACCESS_SUMMARY, False) or not isinstance(args, tuple):
            return True
        if len(args) != 5 or not isinstance(args[4], int):
            return True  # not uvicorn's (client, method, path, version, status)
        address, status = _host(args[0]), args[4]
        ended: list[tuple[str, _Window]] = []
        with self._lock:
            now = self._clock()
            window = self._windows.get(address)
            if window is not None and now - window.start >= self._per:
                ended.append((address, self._windows.pop(address)))
                window = None
            # Addresses gone quiet: their windows end at anyone's line, least recent first.
            while self._windows:
                quiet, oldest = next(iter(self._windows.items()))
                if now - oldest.start < self._per:
                    break
                ended.append((quiet, self._windows.pop(quiet)))
            keep = True
            if 400 <= status < 500:
                if window is None:
                    window = self._windows[address] = _Window(now)
                    while len(self._windows) > self._max:
                        ended.append(self._windows.popitem(last=False))
                self._windows.move_to_end(address)
                keep = window.written < self._budget
                if keep:
                    window.written += 1
                else:
                    window.left_out += 1
        for gone, old in ended:
            if old.left_out:
                _summarise(record, gone, old.left_out, now - old.start)
        return keep


def _host(client: object) -> str:
    # uvicorn writes "host:port" (IPv6 unbracketed); each connection has its own port.
    text = str(client)
    host, colon, port = text.rpartition(":")
    return host if colon and port.isdigit() else text


def _summarise(record: logging.LogRecord, address: str, count: int, seconds: float) -> None:
    logger = logging.getLogger(record.name)
    if not all(_renders_summaries(h.formatter) for h in logger.handlers):
        logger = logging.getLogger("uvicorn.error")  # uvicorn's own formatter cannot write it
    summary = logger.makeRecord(
        logger.name, logging.INFO, record.pathname, record.lineno,
        "suppressed %d similar access lines from %s in the last %.0f s",
        (count, address, seconds), None,
    )  # fmt: skip
    setattr(summary, ACCESS_SUMMARY, True)
    logger.handle(summary)


def _renders_summaries(formatter: logging.Formatter | None) -> bool:
    return not isinstance(formatter, UvicornAccessFormatter) or isinstance(
        formatter, AccessFormatter
    )


class AccessFormatter(UvicornAccessFormatter):
    """uvicorn's access formatter, which also writes `AccessThrottle`'s summary lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        if not getattr(record, ACCESS_SUMMARY, False):
            return super().formatMessage(record)
        name = record.levelname
        prefix = name + ":" + " " * (8 - len(name))
        if self.use_colors:
            prefix = self.color_level_name(prefix, record.levelno)
        return f"{prefix} {record.getMessage()}"


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with access lines written by `AccessFormatter`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["()"] = f"{__name__}.AccessFormatter"
    return config


def install() -> None:
    """Attach the filter to every logger known to write request URLs; keep httpx's request
    lines (one per panel call, at INFO) out of the gateway's log unless a level was chosen;
    write a client's mistakes as sampled one-line INFO records; throttle the access lines of
    refused requests."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    for name in CLIENT_MISTAKE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClientMistakes) for f in logger.filters):
            logger.addFilter(ClientMistakes())
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, AccessThrottle) for f in access.filters):
        access.addFilter(AccessThrottle())
    quiet = logging.getLogger("httpx")
    if quiet.level == logging.NOTSET:
        quiet.setLevel(logging.WARNING)
