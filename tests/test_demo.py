"""`smm-gateway demo` from a clean folder: up within seconds, answering both APIs, stopping
cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

KEY = "smmgw_demo_test_key_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, "SMM_GATEWAY_DEMO_KEY": KEY}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()",
         "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            process.kill()
            pytest.fail(f"the demo did not answer within 30 s:\n{process.communicate()[0]}")
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def test_demo_answers_both_apis_and_stops_cleanly(
    demo: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, process = demo
    balance = httpx.post(f"{base}/api/v2", data={"key": KEY, "action": "balance"}).json()
    assert balance["currency"] == "USD"
    assert float(balance["balance"]) > 0
    services = httpx.post(f"{base}/api/v2", data={"key": KEY, "action": "services"}).json()
    assert len(services) > 100
    query = "{ services(first: 2) { edges { node { id name } } } }"
    answer = httpx.post(f"{base}/graphql", json={"query": query},
                        headers={"Authorization": f"Bearer {KEY}"}).json()  # fmt: skip
    assert "errors" not in answer, answer
    assert len(answer["data"]["services"]["edges"]) == 2

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert KEY in output, "the demo prints its admin key"
    assert (tmp_path / "data" / "smm-gateway.db").exists()
    assert "Traceback" not in output
