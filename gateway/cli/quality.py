"""``smm-gateway quality``: provider quality kept from the ledger.

``quality backfill [--since DATE]`` rebuilds the daily buckets from the orders and refills the
ledger holds (after an upgrade, or to check the running sums); it works on the configuration's
database, so it takes ``--config`` (a running gateway offers no rebuild over its API). Running it
twice gives the same buckets. ``providers --quality`` shows the figures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from gateway.cli.common import ConfigOption, JsonOption, with_gateway
from gateway.cli.output import emit_one
from gateway.core import Gateway
from gateway.quality_backfill import backfill

app = typer.Typer(help="Provider quality measured from the ledger.", no_args_is_help=True)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"not a date (YYYY-MM-DD): {text!r}"
        raise typer.BadParameter(message, param_hint="--since") from None


@app.command("backfill")
def quality_backfill(
    since: Annotated[
        str | None,
        typer.Option(help="Rebuild from this UTC day on (YYYY-MM-DD); default: every day."),
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rebuild the quality buckets from the ledger's finished orders and refills."""
    first = _day(since)

    async def work(gw: Gateway) -> dict[str, Any]:
        buckets = await backfill(gw.store, first)
        report = await gw.quality.report(fresh=True)
        return {
            "since": first.isoformat() if first else None,
            "buckets": buckets,
            "providers": len(report.providers),
            "orders": sum(q.orders for q in report.providers.values()),
            "window_days": report.days,
        }

    emit_one(with_gateway(config, work), as_json=as_json)
