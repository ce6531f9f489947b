"""Commands whose Redis is down (nothing listens at its port), in one line each and never with
the password in REDIS_URL: a command on the ledger says so once and goes on without it (Redis
is optional), rather than a cache warning per attempt; a worker, which needs it for its queue,
stops before it starts any job, rather than logging a trace per job and per queue upkeep for as
long as it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.gateway.cache_fixtures import RedisServer

SECRET = "redis-password-not-shown"


def cli_without_redis(tmp_path: Path, command: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """`command` run on a fresh SQLite ledger with a Redis URL nothing answers at, and its port."""
    port = RedisServer.free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "SMM_GATEWAY_KEY")
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    env["REDIS_URL"] = f"redis://:{SECRET}@127.0.0.1:{port}/0"
    done = subprocess.run(
        [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a command that keeps running; each should end at once
        check=False,
    )
    assert SECRET not in done.stderr + done.stdout
    return done, port


def test_a_local_command_without_redis_warns_once(tmp_path: Path) -> None:
    done, port = cli_without_redis(tmp_path, "providers")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Providers: none\n"
    assert done.stderr == (
        f"warning: cannot reach Redis at 127.0.0.1:{port}: connection refused; "
        "this command goes on without it\n"
    )


def test_an_unreachable_redis_stops_the_worker_in_one_line(tmp_path: Path) -> None:
    done, port = cli_without_redis(tmp_path, "worker")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"error: cannot reach Redis at 127.0.0.1:{port}: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
