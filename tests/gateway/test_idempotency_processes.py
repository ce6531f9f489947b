"""Idempotency across OS processes: two gateway processes sharing one ledger (a SQLite file or
PostgreSQL) receive the same keys at the same moment; each key becomes one order and one
upstream `add`, counted at the panels."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.panels import PANELS, Trio, shared_group

ROOT = Path(__file__).resolve().parents[2]
KEYS = 40


def start(spec: Path, trio: Trio) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for panel in PANELS:
        env[f"{panel.name.upper()}_KEY"] = trio.sims[panel.name].key or ""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.idempotency_process", str(spec)],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the process did not start: {line!r}\n{err}")


def finish(proc: subprocess.Popen[str]) -> dict[str, int | str]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    answer: dict[str, int | str] = json.loads(out.strip().splitlines()[-1])
    return answer


async def test_two_processes_sending_the_same_keys_place_each_order_once(
    gw: Gateway, settings: Settings, trio: Trio, tmp_path: Path
) -> None:
    group = await shared_group(gw)
    quantity = max(m.service.min for m in group.members)
    keys = {
        f"key-{n}": {"link": f"https://instagram.com/p/{n}", "quantity": quantity}
        for n in range(KEYS)
    }
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {"settings": settings.model_dump(mode="json"), "client": "c", "service": group.id,
             "keys": keys}
        )
    )  # fmt: skip
    procs = [start(spec, trio), start(spec, trio)]
    try:
        await asyncio.gather(*(asyncio.to_thread(ready, p) for p in procs))
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        one, two = await asyncio.gather(*(asyncio.to_thread(finish, p) for p in procs))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert set(one) == set(two) == set(keys)
    assert all(isinstance(v, int) for v in [*one.values(), *two.values()]), (one, two)
    assert one == two, "both processes got the same order for each key"
    assert len(set(one.values())) == KEYS
    orders = await gw.store.list_orders(None, None, None, 10 * KEYS)
    assert sorted(o.id for o in orders) == sorted(one.values()), "one order per key, no other"
    assert sum(trio.calls("add").values()) == KEYS, "one upstream add per key"
    links = sorted(str(o.request["link"]) for o in orders)
    assert links == sorted(str(f["link"]) for f in keys.values())
