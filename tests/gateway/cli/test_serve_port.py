"""`serve` on a port already taken says so in one line before it starts anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.cli import main


def test_a_taken_port_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.splitlines()[-1] == f"error: port {port} is in use; try --port", err
    assert "Traceback" not in err
