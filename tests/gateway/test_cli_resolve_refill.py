"""``smm-gateway orders unconfirmed-refills`` and ``orders resolve-refill`` on a configuration's
ledger and against a running gateway (GraphQL), on SQLite and PostgreSQL, over three simulated
panels; and ``orders refill`` showing a refill whose answer was lost as UNCONFIRMED."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.core import Gateway
from gateway.store import OrderRow, RefillRow
from providers.simulator import FaultKind
from tests.gateway.panels import Trio
from tests.gateway.test_cli_resolve import Running, cli, config, run, running, trio
from tests.gateway.test_refill_unconfirmed import lose_refill_answer, refillable, upstream_refills

__all__ = ["config", "running", "trio"]  # the fixtures, shared with `orders resolve`'s tests


async def lost_answer(gw: Gateway, trio: Trio, n: int) -> tuple[OrderRow, RefillRow]:
    """An order of `gw`'s ledger whose refill ask had its answer dropped."""
    order = await refillable(gw, trio, n)
    lose_refill_answer(trio, order, FaultKind.DROP)
    [asked] = await gw.orders.refill([order.id], "c")
    assert asked.refill is not None
    return order, asked.refill


def refilled_with_lost_answer(config: Path, trio: Trio, n: int) -> tuple[OrderRow, RefillRow]:
    """An order of the configuration's ledger whose refill ask had its answer dropped."""

    async def make() -> tuple[OrderRow, RefillRow]:
        async with await Gateway.open(load_config(config)) as gw:
            return await lost_answer(gw, trio, n)

    return asyncio.run(make())


def test_an_operator_lists_and_settles_unconfirmed_refills(
    config: Path, trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    made_order, made = refilled_with_lost_answer(config, trio, 1)
    lost_order, lost = refilled_with_lost_answer(config, trio, 2)
    args = ("--config", str(config), "--json")

    code, out, err = run(capsys, "orders", "refill", str(made_order.id), *args)
    assert code == 0, err
    assert json.loads(out) == [
        {"order": made_order.id, "refill": made.id, "state": "UNCONFIRMED", "error": None}
    ]
    code, out, err = run(capsys, "orders", "unconfirmed-refills", *args)
    assert code == 0, err
    listed = json.loads(out)
    assert [(r["refill"], r["order"]) for r in listed] == [
        (made.id, made_order.id), (lost.id, lost_order.id)
    ]  # fmt: skip
    assert listed[0]["provider"] == made_order.provider
    assert listed[0]["provider_order"] == made_order.provider_order_id
    assert listed[0]["link"] == made_order.request["link"]
    assert "outcome unknown" in listed[0]["error"]

    [pid] = upstream_refills(trio, made_order)
    code, out, err = run(capsys, "orders", "resolve-refill", str(made.id),
                         "--provider-refill", pid, *args)  # fmt: skip
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["state"], shown["provider_refill"]) == ("PENDING", pid)
    assert shown["resolved_by"] == f"cli:{getpass.getuser()}"

    code, out, err = run(capsys, "orders", "resolve-refill", str(lost.id), "--not-made", *args)
    assert code == 0, err
    assert json.loads(out)["state"] == "FAILED"
    code, out, _ = run(capsys, "orders", "unconfirmed-refills", *args)
    assert json.loads(out) == []

    code, _, err = run(capsys, "orders", "resolve-refill", str(lost.id), "--not-made", *args)
    assert code == 1
    assert f"refill {lost.id} is FAILED, not UNCONFIRMED" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "orders", "resolve-refill", "999", "--not-made", *args)
    assert code == 1
    assert "unknown refill 999" in err


def test_resolve_refill_needs_exactly_one_answer(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "orders", "resolve-refill", "1", "--config", str(config))
    assert code == 2
    assert "exactly one of --provider-refill PID and --not-made" in err


async def test_an_operator_settles_unconfirmed_refills_on_a_running_gateway(
    running: Running, trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = ("--url", running.url, "--key", running.key, "--json")
    made_order, made = await lost_answer(running.gw, trio, 1)
    lost_order, lost = await lost_answer(running.gw, trio, 2)

    code, out, err = await cli(capsys, "orders", "refill", str(made_order.id), *remote)
    assert code == 0, err
    assert json.loads(out) == [
        {"order": made_order.id, "refill": made.id, "state": "UNCONFIRMED", "error": None}
    ]
    code, out, err = await cli(capsys, "orders", "unconfirmed-refills", *remote)
    assert code == 0, err
    listed = json.loads(out)
    assert [(r["refill"], r["order"], r["provider_order"], r["link"]) for r in listed] == [
        (made.id, made_order.id, made_order.provider_order_id, made_order.request["link"]),
        (lost.id, lost_order.id, lost_order.provider_order_id, lost_order.request["link"]),
    ]
    assert "outcome unknown" in listed[0]["error"]

    code, _, err = await cli(capsys, "orders", "resolve-refill", str(made.id),
                             "--provider-refill", "999999", *remote)  # fmt: skip
    assert code == 1
    assert f"{made_order.provider} does not know refill 999999; check the id" in err
    [pid] = upstream_refills(trio, made_order)
    code, out, err = await cli(capsys, "orders", "resolve-refill", str(made.id),
                               "--provider-refill", pid, *remote)  # fmt: skip
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["state"], shown["provider_refill"]) == ("PENDING", pid)
    assert shown["resolved_by"].startswith("api-key:night-ops#")

    code, out, err = await cli(capsys, "orders", "resolve-refill", str(lost.id), "--not-made",
                               *remote)  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["state"] == "FAILED"
    code, _, err = await cli(capsys, "orders", "resolve-refill", str(lost.id), "--not-made",
                             *remote)  # fmt: skip
    assert code == 1
    assert f"refill {lost.id} is FAILED, not UNCONFIRMED" in err
    code, out, _ = await cli(capsys, "orders", "unconfirmed-refills", *remote)
    assert json.loads(out) == []
