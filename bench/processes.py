"""Child processes for the benchmarks that run the gateway as it is deployed: a free port, a
process whose output goes to a file, waiting for a line of it, and its CPU time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A port free now on loopback (for a child that binds it itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(command: list[str], log: Path, env: Mapping[str, str] | None = None) -> Iterator[int]:
    """`command` running (its output in `log`), its pid; terminated on the way out."""
    with log.open("wb") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            yield child.pid
        finally:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_for(log: Path, marker: str, timeout: float = 60) -> str:
    """The output of a starting process once `marker` is in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace")
        if marker in content:
            return content
        time.sleep(0.05)
    raise RuntimeError(f"no {marker!r} in {log}: {log.read_text(errors='replace')[-2000:]}")


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """The CPU time `pid` and its live children have used (user and system, all threads; a
    server's worker processes are its children), where /proc tells; else 0."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(entry.name) if entry.name != str(pid) else _stat(pid)
        if fields is None or (entry.name != str(pid) and fields[1] != str(pid)):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else json.dumps(str(value))


def toml(sections: Mapping[str, Mapping[str, object]], arrays: Mapping[str, object]) -> str:
    """TOML of plain tables and arrays of one table each (``[[name]]``), values str/int/bool."""
    lines: list[str] = []
    for header, tables in (("[{}]", sections), ("[[{}]]", arrays)):
        for name, values in tables.items():
            assert isinstance(values, Mapping)
            lines += [header.format(name), *(f"{k} = {toml_value(v)}" for k, v in values.items())]
            lines.append("")
    return "\n".join(lines)
