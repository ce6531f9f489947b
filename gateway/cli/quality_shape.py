"""Provider quality as the CLI prints it, the same whether read from the store or GraphQL.

Each figure is a value and the sample it was measured on; the table shows both in one cell
(``0.9500 (40)``, or ``- (5)`` while the sample is below the minimum), JSON keeps them apart::

    {"provider": "alpha", "days": 30, "orders": 40,
     "completion_rate": {"value": "0.95", "sample": 40}, ...}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.quality import Figure, Quality

FIGURES = {
    "completion_rate": "completionRate",
    "partial_rate": "partialRate",
    "delivered_fraction": "deliveredFraction",
    "cancel_rate": "cancelRate",
    "failure_rate": "failureRate",
    "start_seconds": "startSeconds",
    "complete_seconds_per_1000": "completeSecondsPer1000",
    "refill_success_rate": "refillSuccessRate",
    "charge_fraction": "chargeFraction",
}
"""Each figure's name in the CLI's JSON and in the GraphQL schema."""

QUALITY_SELECTION = "days minSample orders refillsRequested " + " ".join(
    f"{name} {{ value sample }}" for name in FIGURES.values()
)
"""The GraphQL selection of a `Quality` the CLI reads."""

_SECONDS = frozenset({"start_seconds", "complete_seconds_per_1000"})
_PLACES = Decimal("0.0001")


def from_quality(quality: Quality, min_sample: int) -> dict[str, Any]:
    """A `Quality` of the store's book as the CLI's row."""
    row: dict[str, Any] = {
        "provider": quality.provider,
        "days": quality.days,
        "min_sample": min_sample,
        "orders": quality.orders,
        "refills_requested": quality.refills_requested,
    }
    for name in FIGURES:
        figure = getattr(quality, name)
        assert isinstance(figure, Figure)
        row[name] = {"value": figure.value, "sample": figure.sample}
    return row


def from_graphql(provider: str, quality: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL `Quality` (selected with `QUALITY_SELECTION`) as the CLI's row."""
    row: dict[str, Any] = {
        "provider": provider,
        "days": quality["days"],
        "min_sample": quality["minSample"],
        "orders": quality["orders"],
        "refills_requested": quality["refillsRequested"],
    }
    for name, remote in FIGURES.items():
        figure = quality[remote]
        value = figure["value"]
        row[name] = {
            "value": None if value is None else Decimal(value),
            "sample": figure["sample"],
        }
    return row


def cell(name: str, figure: dict[str, Any]) -> str:
    """A figure and its sample in one table cell; seconds to the second, ratios to 4 places."""
    value = figure["value"]
    if value is None:
        shown = "-"
    elif name in _SECONDS:
        shown = f"{Decimal(value).quantize(Decimal(1)):f}"
    else:
        shown = f"{Decimal(value).quantize(_PLACES):f}"
    return f"{shown} ({figure['sample']})"


def table_row(row: dict[str, Any]) -> dict[str, Any]:
    """`row` with each figure in one cell, for the table."""
    return {k: cell(k, v) if k in FIGURES else v for k, v in row.items()}
