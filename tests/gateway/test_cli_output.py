"""The CLI prints texts as they are: a panel's service name or error, or our own message naming
a configuration section, keeps its square brackets (not read as console markup)."""

from __future__ import annotations

import pytest

from gateway.cli.output import emit, emit_one, fail, warn

NAME = "Instagram Followers [refill 30d] [Max 10K]"
ERROR = "[bold]not enough funds[/bold]"


def test_table_cells_keep_their_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    emit([{"name": NAME, "error": ERROR, "none": None}], as_json=False)
    emit_one({"name": NAME, "error": ERROR}, as_json=False)
    out = capsys.readouterr().out
    assert out.count(NAME) == 2, out
    assert out.count(ERROR) == 2, out


def test_error_and_warning_lines_keep_their_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    fail("set [webhooks] allow_private_targets")
    warn("no providers configured ([[providers]] in the configuration file)")
    assert capsys.readouterr().err.splitlines() == [
        "error: set [webhooks] allow_private_targets",
        "warning: no providers configured ([[providers]] in the configuration file)",
    ]


def test_no_rows_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    emit([], as_json=False, title="Orders")
    emit([], as_json=False)
    emit([], as_json=True, title="Orders")
    assert capsys.readouterr().out.splitlines() == ["Orders: none", "Results: none", "[]"]
