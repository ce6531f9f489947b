"""A command on the ledger whose Redis is down says so once, in one line, and goes on without
it (Redis is optional), rather than a cache warning per attempt; the password in REDIS_URL is
never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SECRET = "redis-password-not-shown"


def test_a_local_command_without_redis_warns_once(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "SMM_GATEWAY_KEY")
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    env["REDIS_URL"] = f"redis://:{SECRET}@127.0.0.1:24987/0"
    done = subprocess.run(
        [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()", "providers"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Providers: none\n"
    assert done.stderr == (
        "warning: cannot reach Redis at 127.0.0.1:24987: connection refused; "
        "this command goes on without it\n"
    )
