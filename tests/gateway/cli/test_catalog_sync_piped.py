"""Piped, `catalog sync` prints its table and nothing else: no blank line left by a progress
display meant for a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main


def test_piped_output_starts_with_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "SMM_GATEWAY_KEY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    assert main(["catalog", "sync"]) == 0
    assert capsys.readouterr().out == "Catalog sync: none\n"
