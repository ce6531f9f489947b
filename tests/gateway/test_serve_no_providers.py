"""`smm-gateway serve` on a configuration without providers says so first, and /readyz too."""

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

CLI = [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_without_providers_warns_first_and_is_not_ready(tmp_path: Path) -> None:
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
    assert "([[providers]] in the configuration file)" in first, "the section, named whole"
