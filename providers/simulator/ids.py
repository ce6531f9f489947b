"""How a profile shows the panel's integer ids: as integers, numeric strings or opaque strings.

Opaque ids carry the integer behind a short keyed digest, so they decode without a lookup
table and a made-up id is recognised as unknown.

>>> codec = IdCodec(IdStyle.HEX24, salt="7")
>>> codec.decode(codec.encode(23501))
23501
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class IdStyle(StrEnum):
    """The shapes of ids seen in the wild."""

    INT = "int"
    """``23501``, a JSON number."""
    NUMERIC = "numeric"
    """``"23501"``, a numeric string."""
    HEX24 = "hex24"
    """``"65f1c2a9b3d4e5f600005bcd"``, 24 hex digits (a Mongo-style object id)."""
    PREFIXED = "prefixed"
    """``"ord_9c2e41d05bcd"``, a prefix, a digest and the id in hex."""


_DIGEST = {IdStyle.HEX24: 14, IdStyle.PREFIXED: 8}


@dataclass(frozen=True, slots=True)
class IdCodec:
    """Encodes integer ids in one style and decodes what a client sends back."""

    style: IdStyle = IdStyle.INT
    prefix: str = ""
    salt: str = ""

    def _digest(self, number: int) -> str:
        data = f"{self.salt}:{self.prefix}:{number}".encode()
        return hashlib.blake2b(data, digest_size=8).hexdigest()[: _DIGEST[self.style]]

    def encode(self, number: int) -> int | str:
        """The id as the panel writes it in JSON."""
        if self.style is IdStyle.INT:
            return number
        if self.style is IdStyle.NUMERIC:
            return str(number)
        if self.style is IdStyle.HEX24:
            return f"{self._digest(number)}{number:010x}"
        return f"{self.prefix}{self._digest(number)}{number:x}"

    def decode(self, text: object) -> int | None:
        """The integer behind a client's id, or ``None`` if it is not one of ours."""
        raw = str(text).strip()
        if self.style in (IdStyle.INT, IdStyle.NUMERIC):
            return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 20 else None
        width = _DIGEST[self.style]
        if self.style is IdStyle.HEX24:
            if len(raw) != 24:
                return None
            body = raw
        else:
            if not raw.startswith(self.prefix):
                return None
            body = raw[len(self.prefix) :]
        try:
            number = int(body[width:], 16)
        except ValueError:
            return None
        return number if self.encode(number) == raw else None

    def echo(self, text: str) -> int | str:
        """A client's id written back in an answer: ours re-encoded, anything else as sent."""
        number = self.decode(text)
        return self.encode(number) if number is not None else text
