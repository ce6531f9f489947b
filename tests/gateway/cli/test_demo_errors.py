"""A demo that cannot start says why in one line, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main


def test_a_data_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMM_GATEWAY_DEMO_KEY", raising=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(["demo", "--port", "24994", "--data-dir", str(blocker / "demo")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err == f"error: cannot keep the demo's data in {blocker / 'demo'}: Not a directory\n"
