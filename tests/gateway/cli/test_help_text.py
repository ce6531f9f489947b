"""Every command's --help shows its description as paragraphs the terminal wraps, not with the
line breaks of the source code (which made ragged half-lines at any width)."""

from __future__ import annotations

import inspect

import pytest
import typer

from gateway.cli import app, main


def _commands(group: typer.Typer, path: list[str]) -> list[tuple[list[str], str]]:
    found = []
    for command in group.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        doc = command.help or inspect.getdoc(command.callback) or ""
        found.append(([*path, name], doc))
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found += _commands(sub.typer_instance, [*path, str(sub.name)])
    return found


COMMANDS = [c for c in _commands(app, []) if c[0][-1] != "simulate"]


@pytest.mark.parametrize(("path", "doc"), COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_each_paragraph_of_a_description_is_one_line_on_a_wide_terminal(
    path: list[str], doc: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    assert main([*path, "--help"]) == 0
    lines = [" ".join(line.strip(" │").split()) for line in capsys.readouterr().out.splitlines()]
    for paragraph in doc.split("\n\n"):
        text = " ".join(paragraph.split())
        assert any(text in line for line in lines), (text, lines)


GROUPS: list[list[str]] = [[]] + [[str(g.name)] for g in app.registered_groups]


@pytest.mark.parametrize("path", GROUPS, ids=[" ".join(g) or "smm-gateway" for g in GROUPS])
def test_a_group_lists_each_command_with_its_first_paragraph_on_one_line(
    path: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    assert main([*path, "--help"]) == 0
    lines = [" ".join(line.strip(" │").split()) for line in capsys.readouterr().out.splitlines()]
    listed = [(p[-1], doc) for p, doc in COMMANDS if p[:-1] == path]
    assert listed
    for name, doc in listed:
        first = " ".join(doc.split("\n\n")[0].split())
        assert any(line.startswith(name) and first in line for line in lines), (name, first)
