"""Answers as a profile writes them: JSON bytes with money rendered exactly.

`json.dumps` knows no `Decimal`; here a Decimal becomes a marker string during encoding and the
marker is replaced by the number's own digits afterwards, so ``Decimal("0.90")`` is written
``0.90`` (not ``0.9``, never through a float).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from providers.models import OrderState, RefillState

from .catalog import SimService
from .ids import IdCodec
from .orders import CENT_FRACTION, OrderView
from .problems import Problem
from .profiles import SimProfile

_MARK = "\x00D"
_MARKED = re.compile(r'"\\u0000D([-0-9.]+)"')


def _mark(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_MARK}{value:f}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: object) -> bytes:
    """Compact JSON, `Decimal` written as an exact JSON number."""
    text = json.dumps(value, default=_mark, separators=(",", ":"))
    return _MARKED.sub(r"\1", text).encode()


def money_text(amount: Decimal) -> str:
    """Money as panels print it: at least five decimals, never rounded."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -5:
        amount = amount.quantize(CENT_FRACTION)
    return f"{amount:f}"


class Renderer:
    """Builds every answer of one profile; encodes and decodes its ids."""

    def __init__(self, profile: SimProfile, *, salt: str = "") -> None:
        self.profile = profile
        self.service_ids = IdCodec(profile.service_ids, prefix="svc_", salt=salt)
        self.order_ids = IdCodec(profile.order_ids, prefix="ord_", salt=salt)

    # -- scalars --------------------------------------------------------------------------

    def count(self, value: int) -> object:
        return str(value) if self.profile.numbers_as_strings else value

    def money(self, amount: Decimal) -> object:
        text = money_text(amount)
        return text if self.profile.numbers_as_strings else Decimal(text)

    def rate(self, amount: Decimal) -> object:
        return f"{amount:f}" if self.profile.numbers_as_strings else amount

    def order_status_text(self, state: OrderState, order_id: int) -> str:
        texts = self.profile.order_texts.get(state) or (state.value.title(),)
        return texts[order_id % len(texts)]

    def refill_status_text(self, state: RefillState, refill_id: int) -> str:
        texts = self.profile.refill_texts.get(state) or (state.value.title(),)
        return texts[refill_id % len(texts)]

    def item_error(self, problem: Problem, params: dict[str, object] | None = None) -> object:
        text = self.profile.error_text(problem, params or {})
        return text if self.profile.bare_item_errors else {"error": text}

    # -- answers --------------------------------------------------------------------------

    def services(self, services: Sequence[SimService]) -> bytes:
        """The whole ``services`` answer (callers cache it: the catalog never changes)."""
        flags = self.profile.flags
        items: list[dict[str, Any]] = []
        for index, service in enumerate(services):
            yes, no = flags[index % len(flags)]
            item: dict[str, Any] = {
                "service": self.service_ids.encode(service.id),
                "name": service.name,
                "type": service.type.value,
                "category": service.category,
                "rate": self.rate(service.rate),
                "min": self.count(service.min),
                "max": self.count(service.max),
                "refill": yes if service.refill else no,
                "cancel": yes if service.cancel else no,
            }
            if self.profile.service_extras:
                item["dripfeed"] = yes if service.dripfeed else no
                item["desc"] = service.description
                item["average_time"] = service.average_time
                item["name_lang"] = {"en": service.name}
            items.append(item)
        key = self.profile.services_key
        return dumps({key: items} if key else items)

    def status(self, order_id: int, view: OrderView) -> dict[str, object]:
        """One order's status object."""
        return {
            "charge": self.money(view.charge),
            "start_count": self.count(view.start_count),
            "status": self.order_status_text(view.state, order_id),
            "remains": self.count(view.remains),
            "currency": view.currency,
        }

    def refill_created(self, refill_id: int) -> dict[str, object]:
        """The single ``refill`` answer."""
        answer: dict[str, object] = {
            "refill": str(refill_id) if self.profile.single_refill_as_string else refill_id
        }
        if self.profile.refill_success:
            answer["success"] = self.profile.refill_success
        return answer

    def balance(self, amount: Decimal, currency: str) -> dict[str, object]:
        return {"balance": self.money(amount), "currency": currency}

    def error(self, problem: Problem, params: dict[str, object] | None = None) -> dict[str, str]:
        return {"error": self.profile.error_text(problem, params or {})}
