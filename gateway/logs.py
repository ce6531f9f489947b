"""Logging that never carries a secret.

Panel clients and ``get_v1``-style providers put API keys in query strings (``?key=...``);
uvicorn's access log and httpx's request log would write them out. A filter on those loggers
blanks every ``key=`` (and ``api_key=``, ``token=``) value before a record is emitted.
"""

from __future__ import annotations

import logging
import re

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


def install() -> None:
    """Attach the filter to every logger known to write request URLs; keep httpx's request
    lines (one per panel call, at INFO) out of the gateway's log unless a level was chosen."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    quiet = logging.getLogger("httpx")
    if quiet.level == logging.NOTSET:
        quiet.setLevel(logging.WARNING)
