"""A panel's status answer as ledger columns: the one mapping every reader of statuses uses.

The charge is stored with the currency the panel reported it in (the adapter fills in the
provider's configured currency when the panel names none). A charge above the provider cost
quoted when the order was routed means the panel raised its price since the catalog's last sync:
the order is flagged `OVERCHARGED` on the first status that shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from typing import Any

from gateway.config import ConfigError
from gateway.store import OrderRow
from providers.models import OrderStatus

OVERCHARGED = "overcharged"
"""The flag of an order charged above its quoted provider cost."""

ToBase = Callable[[str], Decimal]
"""Units of base currency per unit of a currency (``Settings.rate_to_base``)."""


def _rounded_up(quote: Decimal, like: Decimal) -> Decimal:
    """`quote` rounded up to `like`'s places: a panel rounding its charge is no price rise."""
    places = like.as_tuple().exponent
    if not isinstance(places, int) or places <= quote.as_tuple().exponent:  # type: ignore[operator]
        return quote
    return quote.quantize(Decimal(1).scaleb(places), rounding=ROUND_CEILING)


def above_quote(
    row: OrderRow, charge: Decimal | None, currency: str | None, to_base: ToBase | None = None
) -> bool:
    """Whether `charge` (in `currency`) exceeds the provider cost quoted for `row`.

    Like currencies compare as they are; others through the base currency when `to_base` is
    given and knows both, else not at all (a currency mismatch is reported on its own).
    """
    quote, quoted_in = row.provider_cost, row.provider_currency
    if charge is None or quote is None:
        return False
    currency = (currency or quoted_in or "").upper()
    if currency == (quoted_in or "").upper():
        return charge > _rounded_up(quote, charge)
    if to_base is None or not quoted_in or not currency:
        return False
    try:
        charged, quoted = charge * to_base(currency), quote * to_base(quoted_in)
    except ConfigError:
        return False
    return charged > _rounded_up(quoted, charged)


def status_values(
    row: OrderRow, answer: OrderStatus, *, to_base: ToBase | None = None
) -> dict[str, Any]:
    """The order columns `answer` sets; a charge the panel leaves out keeps the known one."""
    charge, currency = row.charge, row.charge_currency
    if answer.charge is not None:
        charge, currency = answer.charge.amount, answer.charge.currency
    flags = row.flags
    if OVERCHARGED not in (flags or ()) and above_quote(row, charge, currency, to_base):
        flags = [*(flags or ()), OVERCHARGED]
    return {
        "state": answer.state.value,
        "status_raw": answer.raw_status,
        "start_count": answer.start_count,
        "remains": answer.remains,
        "charge": charge,
        "charge_currency": currency,
        "flags": flags,
    }
