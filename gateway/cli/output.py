"""How the CLI speaks: tables for people, JSON for scripts, one line per error."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

PIPE_WIDTH = 10_000
"""Columns when the output is not a terminal: a program reading a table gets whole lines."""


def _console(*, stderr: bool = False) -> Console:
    """A console as wide as the terminal, or (piped, without COLUMNS) wide enough for any row."""
    found = Console(stderr=stderr)
    if found.is_terminal or os.environ.get("COLUMNS"):
        return found
    return Console(stderr=stderr, width=PIPE_WIDTH)


console = _console()
errors = _console(stderr=True)


def _cell(value: Any) -> Text:
    """A table cell as the text it is: a panel's service name or error such as
    ``Followers [refill 30d]`` is not read as console markup (which would drop the brackets)."""
    if isinstance(value, list | tuple):  # such as an order's history: a line each
        return Text("\n".join(str(_plain(v)) for v in value))
    return Text("" if value is None else str(_plain(value)))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"  # str() would write 1E-7
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def emit(
    rows: Sequence[Mapping[str, Any]],
    *,
    as_json: bool,
    title: str | None = None,
    columns: Iterable[str] | None = None,
) -> None:
    """Print `rows` as a table, or as a JSON list (money as exact strings); no rows as a line
    saying so (``Orders: none``), or ``[]``."""
    if as_json:
        console.print_json(json.dumps(_plain(list(rows))))
        return
    if not rows:
        console.print(f"{title or 'Results'}: none", highlight=False)
        return
    names = list(columns or rows[0].keys())
    table = Table(title=title, show_lines=False)
    for name in names:
        table.add_column(name.replace("_", " "))
    for row in rows:
        table.add_row(*(_cell(row.get(n)) for n in names))
    console.print(table)


def emit_one(row: Mapping[str, Any], *, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(_plain(row)))
        return
    table = Table(show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in row.items():
        table.add_row(key.replace("_", " "), _cell(value))
    console.print(table)


def fail(message: str) -> None:
    """One line on stderr, however narrow the terminal (the terminal may fold it, the
    console does not break it)."""
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def refused(failed: int, total: int, what: str) -> None:
    """After a table or JSON of `total` results: exit 1 with a summary line on stderr when
    `failed` of them did not happen."""
    if failed:
        fail(f"{failed} of {total} {what}")
        raise SystemExit(1)


def note(message: str) -> None:
    """A line for the operator on stderr, beside the server's own log."""
    errors.print(f"note: {escape(message)}", highlight=False)


def warn(message: str) -> None:
    errors.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)
