"""The ``smm-gateway`` command on a configuration of three simulated panels."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from gateway.cli.orders import _order_row
from gateway.config import load_config
from gateway.core import Gateway
from gateway.store import OrderRow
from tests.gateway.panels import PANELS, Trio, start_trio


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=120)


@pytest.fixture
def config(trio: Trio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lines = [
        "[gateway]",
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "ledger.db"}"',
        "",
        "[currency_rates]",
        'EUR = "1.08"',
    ]
    for spec in PANELS:
        variable = f"CLI_{spec.name.upper()}_KEY"
        monkeypatch.setenv(variable, trio.sims[spec.name].key or "")
        lines += [
            "",
            "[[providers]]",
            f'name = "{spec.name}"',
            'kind = "simulator"',
            f'url = "{trio.sims[spec.name].url}"',
            f'key_env = "{variable}"',
            f'profile = "{spec.profile}"',
            f'currency = "{spec.currency}"',
        ]
    path = tmp_path / "gateway.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_keys_are_created_shown_once_listed_and_revoked(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created = run_json(capsys, "keys", "create", "--config", str(config), "--name", "ops",
                       "--scope", "admin")  # fmt: skip
    secret = created["key"]
    assert created["scopes"] == "admin"
    listed = run_json(capsys, "keys", "list", "--config", str(config))
    assert [k["name"] for k in listed] == ["ops"]
    assert secret not in json.dumps(listed)
    code, out, _ = run(capsys, "keys", "revoke", str(created["id"]), "--config", str(config))
    assert code == 0
    assert "revoked" in out
    assert run_json(capsys, "keys", "list", "--config", str(config))[0]["revoked"]


def test_unknown_scope_is_one_clear_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "keys", "create", "--config", str(config), "--name", "x",
                       "--scope", "root")  # fmt: skip
    assert code == 2
    assert "unknown scope 'root'" in err
    assert "Traceback" not in err


def test_missing_config_file_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "providers", "--config", "/nonexistent/gateway.toml")
    assert code == 1
    assert "configuration file not found" in err


def test_missing_provider_key_names_the_variable(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLI_BETA_KEY")
    code, _, err = run(capsys, "providers", "--config", str(config))
    assert code == 1
    assert "CLI_BETA_KEY" in err


def test_providers_and_balances(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(capsys, "providers", "--config", str(config))
    assert [r["provider"] for r in rows] == ["alpha", "beta", "gamma"]
    assert all(r["health"] == "CLOSED" and r["services"] > 0 for r in rows)
    # When each catalog was last fetched, by any process: the ledger keeps it.
    assert all(datetime.fromisoformat(r["synced"]).tzinfo is not None for r in rows)
    balances = run_json(capsys, "balances", "--config", str(config))
    assert balances[-1]["currency"] == "USD"
    assert Decimal(balances[-1]["total"]) == sum(Decimal(r["in_base"]) for r in balances[:-1])
    code, out, _ = run(capsys, "balances", "--config", str(config))
    assert code == 0
    assert "Balances" in out
    assert "total:" in out


def test_services_search_quote_and_catalog(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    synced = run_json(capsys, "catalog", "sync", "--config", str(config))
    assert all(r["ok"] for r in synced)
    found = run_json(capsys, "services", "search", "followers", "--platform", "instagram",
                     "--config", str(config))  # fmt: skip
    assert found
    assert all("followers" in g["name"].lower() for g in found)
    assert all(g["platform"] == "instagram" for g in found)
    again = run_json(capsys, "services", "search", "followers", "--platform", "INSTAGRAM",
                     "--metric", "Followers", "--max-rate", "100000",
                     "--config", str(config))  # fmt: skip
    assert again == [g for g in found if g["metric"] == "followers"]
    group = found[0]
    quote = run_json(capsys, "quote", str(group["id"]), str(group["min"]), "--config", str(config))
    ranked = [r for r in quote if r["rank"] is not None]
    assert ranked[0]["rank"] == 1
    assert [r["cost"] for r in ranked] == sorted((r["cost"] for r in ranked), key=float)
    changes = run_json(capsys, "catalog", "changes", "--config", str(config))
    assert isinstance(changes, list)


def test_orders_list_show_refill_cancel(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def place() -> int:
        async with await Gateway.open(load_config(config)) as gw:
            snapshot = await gw.catalog.snapshot()
            group = next(g for g in snapshot.groups.values()
                         if len(g.providers) > 1 and g.type.value == "Default")  # fmt: skip
            quantity = max(m.service.min for m in group.members)
            fields = {"link": "https://example.com/p", "quantity": quantity}
            row = await gw.place("client-1", group.id, fields)
            return row.id

    order_id = asyncio.run(place())
    listed = run_json(capsys, "orders", "list", "--config", str(config))
    assert [o["id"] for o in listed] == [order_id]
    assert run_json(capsys, "orders", "list", "--state", "Completed", "--config", str(config)) == []
    shown = run_json(capsys, "orders", "show", str(order_id), "--config", str(config))
    assert shown["client"] == "client-1"
    assert any("placed" in line for line in shown["history"])
    assert shown["provider_order"]
    assert shown["price_currency"] == "USD"
    assert "charge" not in shown
    assert {k: listed[0][k] for k in ("price", "price_currency")} == {
        k: shown[k] for k in ("price", "price_currency")
    }
    code, out, _ = run(capsys, "orders", "show", str(order_id), "--config", str(config))
    assert code == 0
    assert "['" not in out, "the history is lines, not a list"
    assert "provider order" in out
    code, out, err = run(capsys, "orders", "cancel", str(order_id), "999", "--config",
                         str(config), "--json")  # fmt: skip
    assert code == 1, "one of the two was refused"
    assert err == "error: 1 of 2 orders refused\n"
    cancels = json.loads(out)
    assert cancels[0] == {"order": order_id, "requested": True, "error": None}
    assert cancels[1] == {"order": 999, "requested": False, "error": "Incorrect order ID"}
    code, out, err = run(capsys, "orders", "refill", "999", "--config", str(config))
    assert (code, err) == (1, "error: 1 of 1 orders refused\n")
    assert "Incorrect order ID" in out
    code, out, err = run(capsys, "orders", "show", "999", "--config", str(config))
    assert (code, out, err) == (1, "", "error: no order 999\n")
    assert run_json(capsys, "orders", "unconfirmed", "--config", str(config)) == []
    code, out, _ = run(capsys, "orders", "list", "--config", str(config))
    assert code == 0
    assert str(order_id) in out


def test_catalog_sync_exits_1_when_a_provider_fails(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLI_BETA_KEY", "wrong")
    code, out, err = run(capsys, "catalog", "sync", "--config", str(config), "--json")
    assert code == 1
    assert err == "error: 1 of 3 providers failed to sync (beta)\n"
    synced = {r["provider"]: r for r in json.loads(out)}
    assert (synced["alpha"]["ok"], synced["beta"]["ok"]) == (True, False)
    assert synced["beta"]["error"]


def _row(**fields: Any) -> OrderRow:
    now = datetime.now(UTC)
    return OrderRow(id=1, client_id="c", request={}, state="COMPLETED", version=1,
                    created_at=now, updated_at=now, provider="eur-panel",
                    quoted_cost=Decimal("1.2312"), currency="USD",
                    provider_cost=Decimal("1.14"), provider_currency="EUR",
                    charge=Decimal("1.14"), charge_currency="EUR", **fields)  # fmt: skip


def test_price_is_the_clients_and_cost_the_providers_on_every_row() -> None:
    operator = _order_row(_row())
    assert (operator["price"], operator["price_currency"]) == (Decimal("1.2312"), "USD")
    assert (operator["cost"], operator["cost_currency"]) == (Decimal("1.14"), "EUR")
    account = _order_row(_row(account_id=7, client_price=Decimal("2.50"), client_currency="GBP"))
    assert (account["price"], account["price_currency"]) == (Decimal("2.50"), "GBP")
    assert (account["cost"], account["cost_currency"]) == (Decimal("1.14"), "EUR")
    assert "charge" not in account
    assert (operator["parent"], account["parent"]) == (None, None)
    # A part of an account's split order: its wholesale quote is no price the client pays.
    part = _order_row(_row(account_id=None, parent_id=5))
    assert (part["parent"], part["price"], part["price_currency"]) == (5, None, None)
    assert (part["cost"], part["cost_currency"]) == (Decimal("1.14"), "EUR")
