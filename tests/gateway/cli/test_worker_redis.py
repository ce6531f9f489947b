"""A worker whose Redis cannot be reached says so in one line and stops, before it starts any
job (rather than logging a trace per job and per queue upkeep for as long as it runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SECRET = "redis-password-not-shown"


def test_an_unreachable_redis_stops_the_worker_in_one_line(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "SMM_GATEWAY_KEY")
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    env["REDIS_URL"] = f"redis://:{SECRET}@127.0.0.1:24989/0"
    done = subprocess.run(
        [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a worker that keeps running; it should stop at once
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: cannot reach Redis at 127.0.0.1:24989: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert SECRET not in done.stderr + done.stdout
