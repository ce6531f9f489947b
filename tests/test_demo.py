"""`smm-gateway demo` from a clean folder: up within seconds, answering both APIs, stopping
cleanly on Ctrl-C; restarted on the same folder it goes on where it stopped; a busy port is one
line."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from gateway.demo import DemoKey
from gateway.store import Store

KEY = "smmgw_demo_test_key_0123456789"
CLI = [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()"]
INSTAGRAM_FOLLOWERS = 45
"""The demo's "Instagram Followers - Refill 30d" (the README orders it)."""
FUNDS = Decimal(100)
"""What the demo's client account, demo-shop, is given on the first start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_env(key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SMM_GATEWAY_DEMO_KEY")}
    if key is not None:
        env["SMM_GATEWAY_DEMO_KEY"] = key
    return env


@contextmanager
def running_demo(data: Path, key: str | None = KEY) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A demo process on a free port; the caller may stop it (SIGINT) and read its output."""
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "demo", "--port", str(port), "--data-dir", str(data)],
        env=demo_env(key), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            process.kill()
            pytest.fail(f"the demo did not answer within 60 s:\n{process.communicate()[0]}")
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    return output


def v2(base: str, key: str, **fields: object) -> object:
    return httpx.post(f"{base}/api/v2", data={"key": key, **fields}, timeout=30).json()


def graphql_error(base: str, query: str, key: str | None) -> str:
    """The first error's message of `query` sent with `key` (or none)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers).json()
    return str(answer["errors"][0]["message"])


def test_demo_answers_both_apis_and_stops_cleanly(tmp_path: Path) -> None:
    with running_demo(tmp_path / "data") as (base, process):
        balance = v2(base, KEY, action="balance")
        assert isinstance(balance, dict)
        assert balance["currency"] == "USD"
        assert float(balance["balance"]) > 0
        services = v2(base, KEY, action="services")
        assert isinstance(services, list)
        assert len(services) > 100
        query = "{ services(first: 2) { edges { node { id name } } } }"
        answer = httpx.post(f"{base}/graphql", json={"query": query},
                            headers={"Authorization": f"Bearer {KEY}"}).json()  # fmt: skip
        assert "errors" not in answer, answer
        assert len(answer["data"]["services"]["edges"]) == 2
        # A client's mistakes: told to the client, at most one line each in the demo's terminal.
        mistakes = [(query, "smmgw_not_a_key_of_this_demo"), ("{ nope", KEY),
                    ("{ viewer { clientId } }", None)]  # fmt: skip
        told = [graphql_error(base, text, key) for text, key in mistakes]
        assert told[0] == "invalid API key", "a key was sent: not 'an API key is required'"
        assert told[1].startswith("Syntax Error"), told
        assert told[2].startswith("an API key is required"), told
        shop = (tmp_path / "data" / "shop-key").read_text().strip()
        funds = v2(base, shop, action="balance")
        assert isinstance(funds, dict)
        assert (Decimal(funds["balance"]), funds["currency"]) == (FUNDS, "USD"), "the shop's own"
        placed = v2(base, shop, action="add", service=INSTAGRAM_FOLLOWERS,
                    link="https://instagram.com/shop", quantity=1000)  # fmt: skip
        assert placed == {"order": 1}
        after = v2(base, shop, action="balance")
        assert isinstance(after, dict)
        assert Decimal(0) < Decimal(after["balance"]) < FUNDS, "the order's price is held"
        # On loopback the demo's /metrics needs no token (a server's does).
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert "smmgw_unconfirmed_orders" in metrics.text
        console = httpx.get(f"{base}/console")
        assert console.status_code == 200
        assert "Content-Security-Policy" in console.headers
        output = stop(process)
    after_banner = output.split("Stop with Ctrl-C.", 1)[1]
    assert len([line for line in after_banner.splitlines() if line.strip()]) <= len(mistakes), (
        output
    )
    assert f"Console    {base}/console" in output, "the banner names the console"
    assert KEY not in output, "a key the user supplied is never printed"
    assert f"export SHOP_KEY={shop}" in output, "the shop's key is printed to export"
    shown = rf"Shop key +{shop} +\(client account demo-shop: 20% markup, funds 100\.00 USD\)"
    assert re.search(shown, output), output
    assert 'SMM_GATEWAY_KEY="$SMM_GATEWAY_DEMO_KEY"' in output
    for panel in ("alpha", "beta", "gamma"):
        assert re.search(rf"{panel} +http://127\.0\.0\.1:\d+/api/v\d  key [0-9a-f]{{32}}", output)
    assert (tmp_path / "data" / "smm-gateway.db").exists()


async def placed(data: Path) -> list[tuple[str | None, str | None, list[str]]]:
    """Provider, provider order id and flags of orders 1 and 2, as the ledger has them."""
    async with await Store.connect(f"sqlite+aiosqlite:///{data / 'smm-gateway.db'}") as store:
        rows = [await store.get_order(n) for n in (1, 2)]
    return [(r.provider, r.provider_order_id, list(r.flags or [])) for r in rows]


def test_a_restart_on_the_same_folder_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_demo(data, key=None) as (base, process):
        key = (data / "demo-key").read_text().strip()
        shop = (data / "shop-key").read_text().strip()
        first = v2(base, key, action="add", service=INSTAGRAM_FOLLOWERS,
                   link="https://instagram.com/first", quantity=1000)  # fmt: skip
        assert first == {"order": 1}
        stop_after = stop(process)
    assert f"SMM_GATEWAY_KEY={key}" in stop_after, "a key the demo made is printed to export"

    with running_demo(data, key=None) as (base, process):
        assert (data / "demo-key").read_text().strip() == key
        second = v2(base, key, action="add", service=INSTAGRAM_FOLLOWERS,
                    link="https://instagram.com/second", quantity=1000)  # fmt: skip
        assert second == {"order": 2}
        old = v2(base, key, action="status", order=1)
        assert isinstance(old, dict)
        assert old.get("status") in ("Pending", "In progress", "Completed", "Partial"), old
        keys = httpx.post(f"{base}/graphql", json={"query": "{ apiKeys { name } }"},
                          headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
        assert keys["data"]["apiKeys"] == [{"name": "demo admin"}, {"name": "demo-shop"}], (
            "one key each, reused"
        )
        assert (data / "shop-key").read_text().strip() == shop
        funds = v2(base, shop, action="balance")
        assert isinstance(funds, dict)
        assert Decimal(funds["balance"]) == FUNDS, "funded once, on the first start"
        output = stop(process)
    assert f"SMM_GATEWAY_KEY={key}" in output

    (first_at, first_pid, first_flags), (second_at, second_pid, second_flags) = asyncio.run(
        placed(data)
    )
    assert first_at == second_at, "both orders went to one panel, which restarted between them"
    assert first_pid is not None
    assert second_pid is not None
    assert first_pid != second_pid, "the panel did not hand out an id it had already used"
    assert "provider_order_id_reused" not in first_flags + second_flags


def test_a_busy_port_is_one_line_before_anything_else(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*CLI, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            env=demo_env(None), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"error: port {port} is in use; try --port\n"
    assert not (tmp_path / "data").exists(), "nothing made, no key printed"


def test_a_demo_key_too_short_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "demo", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        env=demo_env("short"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert (done.stdout, done.stderr) == (
        "",
        "error: SMM_GATEWAY_DEMO_KEY needs at least 16 characters\n",
    )


def test_a_ledger_without_panel_states_gets_ids_past_its_own(tmp_path: Path) -> None:
    """A data folder from before the panels kept their state (or with panels/ removed)."""
    data = tmp_path / "data"
    with running_demo(data) as (base, process):
        first = v2(base, KEY, action="add", service=INSTAGRAM_FOLLOWERS,
                   link="https://instagram.com/first", quantity=1000)  # fmt: skip
        assert first == {"order": 1}
        stop(process)
    shutil.rmtree(data / "panels")

    with running_demo(data) as (base, process):
        second = v2(base, KEY, action="add", service=INSTAGRAM_FOLLOWERS,
                    link="https://instagram.com/second", quantity=1000)  # fmt: skip
        assert second == {"order": 2}
        stop(process)
    (first_at, first_pid, _), (second_at, second_pid, flags) = asyncio.run(placed(data))
    assert first_at == second_at
    assert first_pid is not None
    assert second_pid is not None
    assert second_pid != first_pid, "no id the ledger already has from this panel"
    assert "provider_order_id_reused" not in flags


def test_a_revoked_demo_key_is_replaced_on_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_demo(data, key=None) as (base, process):
        old = (data / "demo-key").read_text().strip()
        old_shop = (data / "shop-key").read_text().strip()
        for key_id in (2, 1):  # the shop's key, then the admin key itself
            revoke = f"mutation {{ revokeApiKey(id: {key_id}) {{ __typename }} }}"
            answer = httpx.post(f"{base}/graphql", json={"query": revoke},
                                headers={"Authorization": f"Bearer {old}"}).json()  # fmt: skip
            assert answer == {"data": {"revokeApiKey": {"__typename": "RevokeApiKeySuccess"}}}
        stop(process)

    with running_demo(data, key=None) as (base, process):
        new = (data / "demo-key").read_text().strip()
        assert new != old
        assert v2(base, old, action="services") == {"error": "Invalid API key"}
        assert isinstance(v2(base, new, action="services"), list)
        new_shop = (data / "shop-key").read_text().strip()
        assert new_shop != old_shop
        assert v2(base, old_shop, action="balance") == {"error": "Invalid API key"}
        funds = v2(base, new_shop, action="balance")
        assert isinstance(funds, dict)
        assert Decimal(funds["balance"]) == FUNDS, "the same account, funded once"
        output = stop(process)
    assert f"SMM_GATEWAY_KEY={new}" in output
    assert f"SHOP_KEY={new_shop}" in output


def test_the_demo_key_is_not_in_its_repr() -> None:
    assert KEY not in repr(DemoKey(KEY, supplied=True))
