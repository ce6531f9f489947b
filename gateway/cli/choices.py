"""What a listing's options may be, checked before either mode (the ledger or a running gateway)
so both refuse the same input the same way: one usage line, exit 2."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

MAX_ROWS = 500
"""The most rows one listing asks for: the largest page the GraphQL API gives (``first``)."""


class State(StrEnum):
    """An order's state, as the ledger keeps it (`gateway.store.states.ALL_STATES`) and as
    GraphQL names it (``OrderStatus``)."""

    RECEIVED = "RECEIVED"
    UNCONFIRMED = "UNCONFIRMED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"
    PAUSED = "PAUSED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


MAX_ID = 2**31 - 1
"""The largest id a command takes: a running gateway's ids travel as GraphQL ``Int`` (32 bits),
and the ledger's fit far below it; a larger one is refused in both modes alike."""


def id_argument(help: str | None = None) -> Any:
    """An id argument (an order's, a key's, an endpoint's): 1 to `MAX_ID`."""
    return typer.Argument(min=1, max=MAX_ID, help=help)


MAX_DAYS = 36500
"""The furthest back a listing looks, in days: a century, well inside what dates can hold."""


def _days(value: float) -> float:
    # A range alone lets NaN through (no comparison holds for it), and a negative or vast
    # number of days would reach the date arithmetic as an OverflowError.
    if not 0 < value <= MAX_DAYS:
        raise typer.BadParameter(f"must be above 0 and at most {MAX_DAYS} days")
    return value


def days_option(what: str) -> Any:
    """``--days``: how far back `what` goes, above 0 and at most `MAX_DAYS` (fractions too)."""
    return typer.Option(
        callback=_days, help=f"How far back {what} goes, in days (up to {MAX_DAYS})."
    )


def limit_option(what: str) -> Any:
    """``--limit``: 1 to `MAX_ROWS` (more is refused by a running gateway)."""
    return typer.Option(min=1, max=MAX_ROWS, help=f"At most this many {what} (1-{MAX_ROWS}).")


PortOption = Annotated[
    int, typer.Option(min=1, max=65535, help="Port to listen on (1-65535).")
]  # fmt: skip
