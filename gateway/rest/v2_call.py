"""One v2 call as the actions see it (`Call`), the refusal they raise (`V2Error`: answered
``{"error": text}``), and how an id is read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.auth import Principal
from gateway.context import AppContext
from gateway.core import Gateway
from gateway.rest import v2_texts as texts
from gateway.store.rows import AccountRow

_ID = re.compile(r"[0-9]{1,18}")
_QUANTITY = re.compile(r"([0-9]{1,18})(?:\.0*)?")


class V2Error(Exception):
    """Answered as ``{"error": text}``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(slots=True)
class Call:
    """One authenticated v2 call (not frozen: one per call, and frozen costs more to make)."""

    context: AppContext
    principal: Principal
    fields: Mapping[str, str]
    idempotency_key: str | None = None

    @property
    def gw(self) -> Gateway:
        return self.context.gateway

    def field(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    async def account(self) -> AccountRow | None:
        """The caller's client account, as a read begun after the call arrived found it (one
        read shared by the calls that arrive during another: `gateway.account_reads`); None
        for the operator's own keys."""
        if self.principal.account_id is None:
            return None
        account = await self.context.accounts.get(self.principal.account_id)
        if account is None:  # the key outlived its account: no key of anyone's
            raise V2Error(texts.INVALID_KEY)
        return account


def parse_id(token: str) -> int | None:
    token = token.strip()
    return int(token) if _ID.fullmatch(token) else None


def parse_quantity(token: str) -> int | None:
    """A quantity as panels read one: digits, or a whole number written with a decimal point
    (``100.0``, as a JSON body's number may come); anything else is none."""
    found = _QUANTITY.fullmatch(token.strip())
    return int(found[1]) if found else None
