"""`smm-gateway serve` on a configuration without providers says so first, and /readyz too;
it says where its background jobs run and what it counts per process without Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.cli.run import fleet_notes
from gateway.config import GatewaySection, Settings, WorkersSection, load_config

CLI = [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_without_providers_warns_first_and_is_not_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REDIS_URL", "DATABASE_URL"):  # the served configuration is the file's
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "gateway.toml"
    config.write_text(f'[gateway]\ndatabase_url = "sqlite+aiosqlite:///{tmp_path / "g.db"}"\n')
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    process = subprocess.Popen(
        [*CLI, "serve", "--config", str(config), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the gateway did not answer /readyz")
                time.sleep(0.2)
        assert ready.status_code == 503
        assert ready.json()["checks"]["providers"] == "no provider configured"
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    first = errors.splitlines()[0]
    assert first.startswith("warning: no providers configured"), errors
    assert "([[providers]] in the configuration file)" in first, "the text, not rich markup"
    notes = [line for line in errors.splitlines() if line.startswith("note: ")]
    assert notes == [f"note: {line}" for line in fleet_notes(load_config(config))], errors
    assert "run in this process" in notes[0]
    assert "no Redis configured" in notes[1]


def test_fleet_notes_follow_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    fleet = Settings(
        gateway=GatewaySection(redis_url="redis://127.0.0.1:6379/0"),
        workers=WorkersSection(in_process=False),
    )
    [jobs] = fleet_notes(fleet, 4)
    assert "left to `smm-gateway worker` processes" in jobs
    [jobs, alone] = fleet_notes(Settings(), 2)
    assert "run in this process" in jobs
    assert "counted per process (each of the 2 server processes on its own)" in alone


def test_serve_help_does_not_claim_in_process_workers() -> None:
    shown = subprocess.run(
        [*CLI, "serve", "--help"], capture_output=True, text=True, check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout  # fmt: skip
    assert "with in-process workers" not in shown
    assert "unless the configuration sets workers.in_process = false" in " ".join(shown.split())
