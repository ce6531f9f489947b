"""Standard Webhooks signatures: ``whsec_`` secrets, ``v1,`` HMAC-SHA256 over
``id.timestamp.body``, and several signatures at once while a secret is being rotated.

An endpoint's stored ``secret`` is one or more entries separated by spaces, newest first; an
older entry carries the Unix time until which it still signs (``whsec_...@1767225600``)::

    secrets = SecretSet.parse(row.secret)
    headers = sign_headers(secrets.active(now), "evt_1", now, body)
    rotated = secrets.rotate(new_secret(), now, keep_for=timedelta(hours=24))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the base64 after the prefix)."""
    return base64.b64decode(secret.removeprefix(PREFIX) + "==")


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of `body` as delivery `msg_id` sent at `timestamp`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(active: list[str], msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, one signature per active secret."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in active),
    }


@dataclass(frozen=True, slots=True)
class SecretSet:
    """An endpoint's secrets: the current one, and older ones still valid for a while."""

    current: str
    previous: tuple[tuple[str, int], ...] = ()
    """(secret, valid until as Unix time)."""

    @classmethod
    def parse(cls, stored: str) -> SecretSet:
        entries = stored.split()
        if not entries:
            raise ValueError("an endpoint needs a signing secret")
        previous = []
        for entry in entries[1:]:
            secret, _, until = entry.partition("@")
            previous.append((secret, int(until or 0)))
        return cls(entries[0], tuple(previous))

    def active(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery made at `now`, newest first."""
        stamp = now.timestamp()
        return [self.current, *(s for s, until in self.previous if until > stamp)]

    def rotate(self, fresh: str, now: datetime, *, keep_for: timedelta) -> SecretSet:
        """`fresh` becomes current; the current one keeps signing for `keep_for`."""
        until = int((now + keep_for).timestamp())
        kept = tuple(p for p in self.previous if p[1] > now.timestamp())
        return SecretSet(fresh, ((self.current, until), *kept))

    def dump(self) -> str:
        return " ".join([self.current, *(f"{s}@{until}" for s, until in self.previous)])


def utc_now() -> datetime:
    return datetime.now(UTC)
