"""``keys create|list|revoke`` against a running gateway; without any gateway to ask, the
operator commands say so in one line instead of making a database; piped tables are whole."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.cli import main
from gateway.cli.common import NOTHING_TO_ASK
from gateway.cli.remote import NO_KEY
from gateway.config import Settings
from tests.gateway.graphql.server import serve
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings

CLI = [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()"]


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
async def running(trio: Trio, database_url: str, namespace: str) -> AsyncIterator[tuple[str, str]]:
    settings: Settings = trio_settings(trio, database_url, None, namespace)
    async with open_gateway(settings, trio) as gw:
        await gw.catalog.sync()
        _, key = await gw.store.create_api_key("ops", "ops", ["admin"])
        async with serve(create_app(settings, gateway=gw, background=False)) as server:
            yield server.base_url, key


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_keys_are_made_listed_and_revoked_on_a_running_gateway(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, admin = running
    remote = ("--url", url, "--key", admin)
    code, out, err = await cli(capsys, "keys", "create", "--name", "shop", "--scope", "order",
                               *remote, "--json")  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert (made["name"], made["client"], made["scopes"]) == ("shop", "shop", "order")
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{url}/api/v2", data={"key": made["key"], "action": "services"})
    assert isinstance(answer.json(), list), "the new key works on the running gateway at once"

    code, out, _ = await cli(capsys, "keys", "list", *remote, "--json")
    listed = json.loads(out)
    assert [k["name"] for k in listed] == ["ops", "shop"]
    assert made["key"] not in out

    code, out, _ = await cli(capsys, "keys", "revoke", str(made["id"]), *remote)
    assert (code, out.strip()) == (0, f"key {made['id']} revoked")
    code, _, err = await cli(capsys, "keys", "revoke", str(made["id"]), *remote)
    assert (code, err.strip()) == (1, f"error: no active key {made['id']}")
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{url}/api/v2", data={"key": made["key"], "action": "services"})
    assert answer.json() == {"error": "Invalid API key"}


async def test_a_key_without_admin_scope_cannot_make_keys(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, admin = running
    code, out, _ = await cli(capsys, "keys", "create", "--name", "shop", "--scope", "order",
                             "--url", url, "--key", admin, "--json")  # fmt: skip
    code, _, err = await cli(capsys, "keys", "create", "--name", "mine", "--scope", "admin",
                             "--url", url, "--key", json.loads(out)["key"])  # fmt: skip
    assert code == 1
    assert err.strip() == "error: this API key lacks the 'admin' scope"
    code, _, err = await cli(capsys, "keys", "list", "--url", url, "--key", "smmgw_wrong_key_x")
    assert (code, err.strip()) == (1, "error: invalid API key")


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "create", "--name", "shop", "--scope", "order"],
        ["keys", "list"],
        ["keys", "revoke", "1"],
        ["providers"],
        ["balances"],
        ["orders", "list"],
    ],
)
def test_nothing_to_ask_is_one_line_and_no_stray_database(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL",
                        "SMM_GATEWAY_GATEWAY__DATABASE_URL")}  # fmt: skip
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"error: {NOTHING_TO_ASK}\n"
    assert list(tmp_path.iterdir()) == []


async def test_a_piped_table_keeps_whole_rows(running: tuple[str, str]) -> None:
    url, admin = running
    env = {**os.environ, "SMM_GATEWAY_URL": url, "SMM_GATEWAY_KEY": admin}
    env.pop("COLUMNS", None)
    done = await asyncio.to_thread(
        subprocess.run, [*CLI, "services", "search", "followers"], env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("│")]
    assert rows, done.stdout
    assert "…" not in done.stdout
    assert max(len(line) for line in rows) > 80, "a row wider than 80 columns, kept whole"


@pytest.mark.parametrize(
    "args", [["keys", "list"], ["providers"], ["webhooks", "list"], ["orders", "unconfirmed"]]
)
def test_a_url_without_a_key_is_one_usage_line(args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMM_GATEWAY")}
    done = subprocess.run([*CLI, *args, "--url", "http://127.0.0.1:9"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"error: {NO_KEY}\n"
