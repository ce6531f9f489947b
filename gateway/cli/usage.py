"""Usage errors told in one line: the parser's exceptions, wherever this Typer keeps them."""

from __future__ import annotations

import argparse
from typing import NoReturn

try:  # Typer 0.2x carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - Typer on the click package
    from click.exceptions import ClickException, UsageError  # type: ignore[assignment]

__all__ = ["ClickException", "OneLineParser", "UsageError", "one_line"]


def one_line(message: str) -> str:
    """`message` with its line breaks and runs of spaces made single spaces."""
    return " ".join(message.split())


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are `UsageError`s (one line, exit 2) instead of its
    usage text and a `SystemExit`; ``--help`` prints its help as usual."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)
