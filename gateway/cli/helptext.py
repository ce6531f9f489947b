"""Command descriptions as the terminal should wrap them: each paragraph of a docstring one
line, so that --help does not keep the source's line breaks (ragged half-lines at any width)."""

from __future__ import annotations

import inspect

import typer


def reflow(text: str) -> str:
    """`text` with the line breaks inside each paragraph made spaces; paragraphs (separated
    by a blank line) stay apart."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def reflow_help(app: typer.Typer) -> None:
    """Give every command and group of `app` (and of its groups) its docstring reflowed as its
    help, unless it was given a help text of its own."""
    for command in app.registered_commands:
        doc = command.help or inspect.getdoc(command.callback)
        if doc:
            command.help = reflow(doc)
    for group in app.registered_groups:
        if group.help and isinstance(group.help, str):
            group.help = reflow(group.help)
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)
