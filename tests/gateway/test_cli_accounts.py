"""``smm-gateway accounts`` and ``keys create --account``: on the store of a configuration
(``--config``, both databases) and on a running gateway (``--url/--key``, through GraphQL), the
same answers either way; bad amounts are one usage line; ``accounts check`` finds a broken book.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gateway.app import create_app
from gateway.cli import main
from gateway.cli.common import NOTHING_TO_ASK
from gateway.cli.remote import NO_KEY
from gateway.core import Gateway
from gateway.store import Store
from gateway.store.tables import accounts
from tests.gateway.graphql.server import serve
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings
from tests.gateway.syncing import sync_statuses

CLI = [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()"]


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Path:
    """A configuration naming only the test's ledger: the accounts commands need no panel."""
    path = tmp_path / "gateway.toml"
    path.write_text(f'[gateway]\ndatabase_url = "{database_url}"\n')
    return path


@dataclass
class Running:
    """A gateway on loopback (`url`, an admin `key`), its core and its panels."""

    url: str
    key: str
    gw: Gateway
    trio: Trio


@pytest.fixture
async def running(trio: Trio, database_url: str, namespace: str) -> AsyncIterator[Running]:
    settings = trio_settings(trio, database_url, None, namespace)
    async with open_gateway(settings, trio) as gw:
        await gw.catalog.sync()
        _, key = await gw.store.create_api_key("ops", "ops", ["admin"])
        async with serve(create_app(settings, gateway=gw, background=False)) as server:
            yield Running(server.base_url, key, gw, trio)


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = await cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def said(err: str) -> str:
    """A usage error's words, out of the box the parser draws around them."""
    return " ".join(err.replace("│", " ").split())


async def the_accounts_tour(capsys: pytest.CaptureFixture[str], where: tuple[str, ...]) -> str:
    """Create, fund, adjust, list, show, suspend, resume and check an account, then make a key
    of it: the same answers from the store and from a running gateway. The key's secret."""
    made = await cli_json(capsys, "accounts", "create", "shop", "--markup", "20",
                          "--min-margin", "5%", "--credit-limit", "10", "--daily-cap", "50",
                          "--monthly-cap", "500.5", "--low-balance", "5", "--reprice",
                          *where)  # fmt: skip
    assert {k: v for k, v in made.items() if k != "id"} == {
        "name": "shop", "state": "active", "currency": "USD", "balance": "0.00",
        "held": "0.00", "available": "10.00", "credit_limit": "10.00", "markup_pct": "20",
        "min_margin_pct": "5", "overrides": 0, "daily_cap": "50.00", "monthly_cap": "500.50",
        "low_balance": "5.00", "policy": "reprice",
    }  # fmt: skip
    code, _, err = await cli(capsys, "accounts", "create", "shop", *where)
    assert (code, "exists" in err, "Traceback" in err) == (1, True, False), err
    assert err.count("\n") == 1, "one line"

    topped = await cli_json(capsys, "accounts", "topup", "shop", "100",
                            "--reason", "invoice 7", *where)  # fmt: skip
    assert (topped["account"], topped["kind"], topped["amount"]) == ("shop", "topup", "100.00")
    assert (topped["balance"], topped["reason"]) == ("100.00", "invoice 7")
    adjusted = await cli_json(capsys, "accounts", "adjust", "shop", "-2.5",
                              "--reason", "goodwill back", *where)  # fmt: skip
    assert (adjusted["kind"], adjusted["amount"], adjusted["balance"]) == (
        "adjustment", "-2.50", "97.50",
    )  # fmt: skip

    listed = await cli_json(capsys, "accounts", "list", *where)
    assert [(a["name"], a["balance"], a["available"]) for a in listed] == [
        ("shop", "97.50", "107.50")
    ]
    shown = await cli_json(capsys, "accounts", "show", "shop", *where)
    assert (shown["balance"], shown["spent_today"], shown["spent_this_month"]) == (
        "97.50", "0.00", "0.00",
    )  # fmt: skip
    assert [(m["kind"], m["amount"], m["reason"]) for m in shown["movements"]] == [
        ("adjustment", "-2.50", "goodwill back"), ("topup", "100.00", "invoice 7"),
    ], "newest first"  # fmt: skip
    code, out, _ = await cli(capsys, "accounts", "show", "shop", "--movements", "1", *where)
    assert code == 0
    assert "goodwill back" in out
    assert "invoice 7" not in out
    assert "Recent movements" in out

    code, out, _ = await cli(capsys, "accounts", "suspend", "shop", *where)
    assert (code, out.strip()) == (0, "account shop: suspended")
    code, out, _ = await cli(capsys, "accounts", "resume", "shop", *where)
    assert (code, out.strip()) == (0, "account shop: active")

    code, out, err = await cli(capsys, "accounts", "check", *where)
    assert code == 0, out + err
    assert "every invariant holds" in out
    checked = await cli_json(capsys, "accounts", "check", *where)
    assert checked == {"accounts": 1, "problems": []}

    key = await cli_json(capsys, "keys", "create", "--name", "shop-web", "--scope", "order",
                         "--account", "shop", *where)  # fmt: skip
    assert (key["name"], key["client"], key["account"]) == ("shop-web", "shop", "shop")
    listed_keys = await cli_json(capsys, "keys", "list", *where)
    assert [(k["name"], k["account"]) for k in listed_keys if k["client"] == "shop"] == [
        ("shop-web", "shop")
    ]
    code, _, err = await cli(capsys, "keys", "create", "--name", "x", "--scope", "order",
                             "--account", "nobody", *where)  # fmt: skip
    assert (code, err.strip()) == (1, "error: no account named 'nobody'")
    for command in (("show", "nobody"), ("topup", "nobody", "5"), ("suspend", "nobody")):
        code, _, err = await cli(capsys, "accounts", *command, *where)
        assert (code, err.strip()) == (1, "error: no account named 'nobody'"), command
    return str(key["key"])


async def test_accounts_on_the_store_of_a_configuration(
    config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = await the_accounts_tour(capsys, ("--config", str(config)))
    async with await Store.connect(database_url) as store:
        row = await store.verify_api_key(secret)
        account = await store.account("shop")
    assert row is not None
    assert account is not None
    assert (row.account_id, row.client_id) == (account.id, "shop")


async def test_accounts_on_a_running_gateway(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    url, admin = running.url, running.key
    secret = await the_accounts_tour(capsys, ("--url", url, "--key", admin))
    async with httpx.AsyncClient() as http:
        balance = await http.post(f"{url}/api/v2", data={"key": secret, "action": "balance"})
        funds = balance.json()
        assert (Decimal(funds["balance"]), funds["currency"]) == (Decimal("97.5"), "USD"), funds
        services = (await http.post(f"{url}/api/v2",
                                    data={"key": secret, "action": "services"})).json()  # fmt: skip
        service = next(s for s in services if s["type"] == "Default")
        placed = await http.post(f"{url}/api/v2", data={
            "key": secret, "action": "add", "service": service["service"],
            "link": "https://instagram.com/cli_accounts", "quantity": service["min"],
        })  # fmt: skip
    order = placed.json()["order"]
    shown = await cli_json(capsys, "accounts", "show", "shop", "--url", url, "--key", admin)
    [hold] = [m for m in shown["movements"] if m["kind"] == "hold"]
    price = -Decimal(hold["amount"])
    assert hold["order"] == order
    assert price > 0
    assert Decimal(shown["held"]) == price
    assert Decimal(shown["balance"]) == Decimal("97.50") - price
    assert Decimal(shown["spent_today"]) == price
    code, _, err = await cli(capsys, "accounts", "check", "--url", url, "--key", admin)
    assert code == 0, err

    running.trio.advance(30 * 86400)  # the panel delivers; the status sync settles the order
    await sync_statuses(running.gw)
    shown = await cli_json(capsys, "accounts", "show", "shop", "--url", url, "--key", admin)
    moved = {m["kind"]: Decimal(m["amount"]) for m in shown["movements"] if m["order"]}
    charge, refund = -moved["charge"], moved.get("refund", Decimal(0))
    assert charge > 0
    assert charge + refund == price, "what was held is charged or given back"
    assert Decimal(shown["held"]) == 0
    code, out, _ = await cli(capsys, "accounts", "show", "shop", "--url", url, "--key", admin)
    assert re.search(rf"│ \d+ +│ \S+ +│ charge +│ -{charge} +│ {order} +│", out), out
    code, _, err = await cli(capsys, "accounts", "check", "--url", url, "--key", admin)
    assert code == 0, err


async def test_a_client_or_ops_key_cannot_change_accounts(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    url, admin = running.url, running.key
    ops = await cli_json(capsys, "keys", "create", "--name", "dash", "--scope", "ops",
                         "--url", url, "--key", admin)  # fmt: skip
    remote = ("--url", url, "--key", ops["key"])
    assert await cli_json(capsys, "accounts", "list", *remote) == []
    code, _, err = await cli(capsys, "accounts", "create", "shop", *remote)
    assert (code, err.strip()) == (1, "error: this API key lacks the 'admin' scope")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["topup", "shop", "abc"], "'abc' is not an amount (e.g. 25.50)"),
        (["topup", "shop", "12,50"], "'12,50' is not an amount"),
        (["topup", "shop", "NaN"], "'NaN' is not an amount"),
        (["topup", "shop", "1e3"], "'1e3' is not an amount"),
        (["topup", "shop", "-5"], "the amount must be more than 0"),
        (["topup", "shop", "0"], "the amount must be more than 0"),
        (["topup", "shop", "1.23456"], "more than 4 decimal places"),
        (["topup", "shop", "1000000000000"], "is too large"),
        (["adjust", "shop", "0", "--reason", "x"], "the amount must not be 0"),
        (["adjust", "shop", "5"], "Missing option '--reason'"),
        (["adjust", "shop", "5", "--reason", " "], "say why"),
        (["create", "shop", "--markup", "lots"], "'lots' is not a percentage (e.g. 20)"),
        (["create", "shop", "--markup", "-100"], "a markup must be above -100%"),
        (["create", "shop", "--min-margin", "-1"], "a minimum margin cannot be negative"),
        (["create", "shop", "--credit-limit", "-1"], "a limit cannot be negative"),
        (["create", "shop", "--daily-cap", "0"], "the amount must be more than 0"),
        (["create", "a shop"], "an account name has 1 to 100 letters"),
        (["show", "shop", "--movements", "0"], "--movements"),
    ],
)
async def test_bad_input_is_one_usage_error_before_any_store(
    args: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.toml"  # never opened: the input is refused first
    code, out, err = await cli(capsys, "accounts", *args, "--config", str(missing))
    assert code == 2, err
    assert out == ""
    assert says in said(err), err
    assert "Traceback" not in err
    assert not missing.exists()


async def test_a_key_of_an_account_has_no_operator_scope(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--config", str(config))
    await cli_json(capsys, "accounts", "create", "shop", *where)
    for args in (["--scope", "admin"], ["--scope", "order", "--scope", "ops"]):
        code, _, err = await cli(capsys, "keys", "create", "--name", "x", *args,
                                 "--account", "shop", *where)  # fmt: skip
        assert code == 2, err
        assert "may only have read or order" in said(err)
    code, _, err = await cli(capsys, "keys", "create", "--name", "x", "--scope", "read",
                             "--account", "shop", "--client", "other", *where)  # fmt: skip
    assert code == 2, err
    assert "not both" in said(err)
    assert await cli_json(capsys, "keys", "list", *where) == []


async def test_check_names_each_broken_invariant_and_exits_1(
    config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--config", str(config))
    await cli_json(capsys, "accounts", "create", "shop", *where)
    await cli_json(capsys, "accounts", "topup", "shop", "40", *where)
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:  # a balance that no entry explains
            await connection.execute(accounts.update().values(balance=Decimal("41")))
    finally:
        await engine.dispose()
    code, out, err = await cli(capsys, "accounts", "check", *where)
    assert code == 1
    assert out.strip(), "each problem on its own line"
    assert "shop" in out or re.search(r"\b1\b", out), out
    assert re.fullmatch(r"error: \d+ problem\(s\) in the accounts' ledger\n", err), err
    code, out, _ = await cli(capsys, "accounts", "check", *where, "--json")
    assert code == 1
    assert json.loads(out)["problems"]


@pytest.mark.parametrize(
    "args", [["accounts", "list"], ["accounts", "show", "shop"], ["accounts", "check"],
             ["accounts", "create", "shop"], ["accounts", "topup", "shop", "5"]],
)  # fmt: skip
def test_nothing_to_ask_is_one_line_and_no_stray_database(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL",
                        "SMM_GATEWAY_GATEWAY__DATABASE_URL")}  # fmt: skip
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, f"error: {NOTHING_TO_ASK}\n")
    assert list(tmp_path.iterdir()) == []
    done = subprocess.run([*CLI, *args, "--url", "http://127.0.0.1:9"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stderr) == (2, f"error: {NO_KEY}\n")


async def test_tables_for_people(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ("--config", str(config))
    code, out, _ = await cli(capsys, "accounts", "create", "shop", "--markup", "12.5", *where)
    assert code == 0
    assert re.search(r"│ markup pct +│ 12\.5 +│", out), out
    assert "smm-gateway accounts topup shop AMOUNT" in out
    code, out, _ = await cli(capsys, "accounts", "list", *where)
    assert code == 0
    assert re.search(r"│ \d+ +│ shop +│ active +│ USD +│ 0\.00 +│", out), out
