"""``smm-gateway orders unconfirmed`` and ``orders resolve``: on a configuration's ledger and
against a running gateway, each on SQLite and PostgreSQL, over three simulated panels."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.cli import main
from gateway.config import load_config
from gateway.core import Gateway
from gateway.store import GatewayState, OrderRow
from providers.models import OrderState
from providers.simulator import FaultKind
from tests.gateway.graphql.server import serve
from tests.gateway.panels import PANELS, Trio, open_gateway, start_trio, trio_settings
from tests.gateway.unconfirmed import fields, outbox_of, panel_order_id, unconfirmed


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
def config(trio: Trio, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lines = ["[gateway]", f'database_url = "{database_url}"',
             "", "[currency_rates]", 'EUR = "1.08"']  # fmt: skip
    for spec in PANELS:
        variable = f"RESOLVE_{spec.name.upper()}_KEY"
        monkeypatch.setenv(variable, trio.sims[spec.name].key or "")
        lines += ["", "[[providers]]", f'name = "{spec.name}"', 'kind = "simulator"',
                  f'url = "{trio.sims[spec.name].url}"', f'key_env = "{variable}"',
                  f'profile = "{spec.profile}"', f'currency = "{spec.currency}"']  # fmt: skip
    path = tmp_path / "gateway.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def with_config(config: Path, trio: Trio, kind: FaultKind, n: int = 0) -> OrderRow:
    """An UNCONFIRMED order in the configuration's ledger."""

    async def make() -> OrderRow:
        async with await Gateway.open(load_config(config)) as gw:
            return await unconfirmed(gw, trio, kind, n)

    return asyncio.run(make())


def stored(config: Path, order_id: int) -> OrderRow:
    async def read() -> OrderRow:
        async with await Gateway.open(load_config(config)) as gw:
            return await gw.store.get_order(order_id)

    return asyncio.run(read())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_operator_lists_and_resolves_with_the_config(
    config: Path, trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    placed = with_config(config, trio, FaultKind.DROP)
    lost = with_config(config, trio, FaultKind.HTTP_5XX, n=1)
    code, out, err = run(capsys, "orders", "unconfirmed", "--config", str(config), "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [r["id"] for r in listed] == [lost.id, placed.id]
    assert listed[1]["link"] == placed.request["link"]
    assert listed[1]["provider"] == placed.provider

    pid = panel_order_id(trio, placed.provider or "")
    code, out, err = run(capsys, "orders", "resolve", str(placed.id), "--provider-order", pid,
                         "--config", str(config), "--json")  # fmt: skip
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["state"], shown["provider_order"]) == ("PENDING", pid)
    assert shown["resolved_by"] == f"cli:{getpass.getuser()}"
    assert stored(config, placed.id).state == OrderState.PENDING

    code, out, err = run(capsys, "orders", "resolve", str(lost.id), "--not-placed",
                         "--config", str(config))  # fmt: skip
    assert code == 0, err
    assert stored(config, lost.id).state == GatewayState.FAILED
    code, out, _ = run(capsys, "orders", "unconfirmed", "--config", str(config), "--json")
    assert json.loads(out) == []


def test_resolving_an_order_that_is_not_unconfirmed_fails(
    config: Path, trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    order = with_config(config, trio, FaultKind.HTTP_5XX)
    args = ("orders", "resolve", str(order.id), "--not-placed", "--config", str(config))
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args)
    assert code == 1
    assert "is FAILED, not UNCONFIRMED" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "orders", "resolve", "999", "--not-placed", "--config", str(config))
    assert code == 1
    assert "unknown order 999" in err


def test_resolve_needs_exactly_one_answer(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "orders", "resolve", "1", "--config", str(config))
    assert code == 2
    assert "exactly one of --provider-order PID and --not-placed" in err
    code, _, _ = run(capsys, "orders", "resolve", "1", "--provider-order", "5", "--not-placed",
                     "--config", str(config))  # fmt: skip
    assert code == 2


@dataclass
class Running:
    url: str
    key: str
    gw: Gateway


@pytest.fixture
async def running(trio: Trio, database_url: str, namespace: str) -> AsyncIterator[Running]:
    settings = trio_settings(trio, database_url, None, namespace)
    async with open_gateway(settings, trio) as gw:
        _, key = await gw.store.create_api_key("night-ops", "ops", ["admin"])
        async with serve(create_app(settings, gateway=gw, background=False)) as server:
            yield Running(server.base_url, key, gw)


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_an_operator_resolves_on_a_running_gateway(
    running: Running, trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = ("--url", running.url, "--key", running.key, "--json")
    placed = await unconfirmed(running.gw, trio, FaultKind.DROP)
    lost = await unconfirmed(running.gw, trio, FaultKind.HTTP_5XX, n=1)
    code, out, err = await cli(capsys, "orders", "unconfirmed", *remote)
    assert code == 0, err
    assert [(r["id"], r["link"]) for r in json.loads(out)] == [
        (lost.id, lost.request["link"]), (placed.id, placed.request["link"])
    ]  # fmt: skip

    pid = panel_order_id(trio, placed.provider or "")
    code, out, err = await cli(capsys, "orders", "resolve", str(placed.id),
                               "--provider-order", pid, *remote)  # fmt: skip
    assert code == 0, err
    shown: dict[str, Any] = json.loads(out)
    assert shown["state"] == "PENDING"
    assert shown["resolved_by"].startswith("api-key:night-ops#")
    code, out, err = await cli(capsys, "orders", "resolve", str(lost.id), "--not-placed", *remote)
    assert code == 0, err
    assert json.loads(out)["state"] == "FAILED"
    announced = await outbox_of(running.gw, lost.id)
    assert announced[-1]["data"]["resolution"]["by"].startswith("api-key:night-ops#")

    code, _, err = await cli(capsys, "orders", "resolve", str(lost.id), "--not-placed", *remote)
    assert code == 1
    assert "is FAILED, not UNCONFIRMED" in err


async def test_a_remote_id_in_use_is_refused_with_its_reason(
    running: Running, trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    service, order_fields = await fields(running.gw)
    other = await running.gw.place("c", service, order_fields)
    order = await unconfirmed(running.gw, trio, FaultKind.DROP, n=1)
    remote = ("--url", running.url, "--key", running.key)
    code, _, err = await cli(capsys, "orders", "resolve", str(order.id),
                             "--provider-order", str(other.provider_order_id), *remote)  # fmt: skip
    assert code == 1
    assert f"already order {other.id}'s" in err
    code, _, err = await cli(capsys, "orders", "resolve", str(order.id), "--provider-order",
                             str(other.provider_order_id), "--force", *remote)  # fmt: skip
    assert code == 0, err
    assert (await running.gw.store.get_order(order.id)).state == OrderState.PENDING
