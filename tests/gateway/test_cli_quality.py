"""``providers --quality``, ``quote`` explanations and ``quality backfill`` on a configuration of
three simulated panels (``--config``) and on the same gateway running (``--url/--key``), over both
databases, with orders of known outcomes recorded through the store
(`tests.gateway.quality_outcomes`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from gateway.app import create_app
from gateway.catalog import Group
from gateway.cli import main
from gateway.config import load_config
from gateway.store import Store
from gateway.store.quality_tables import provider_quality
from providers.models import ServiceType
from tests.gateway.graphql.server import serve
from tests.gateway.panels import PANELS, Trio, open_gateway, start_trio
from tests.gateway.quality_outcomes import ALPHA, MIN_SAMPLE, record_outcomes

PLACES = Decimal("0.00000001")


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
def config(trio: Trio, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lines = [
        "[gateway]",
        f'database_url = "{database_url}"',
        "",
        "[currency_rates]",
        'EUR = "1.08"',
        "",
        "[quality]",
        f"min_sample = {MIN_SAMPLE}",
        "",
        "[routing]",
        'exploration_share = "0"',
    ]
    for spec in PANELS:
        variable = f"CLI_QUALITY_{spec.name.upper()}_KEY"
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


@pytest.fixture
async def running(
    config: Path, trio: Trio, database_url: str
) -> AsyncIterator[tuple[Group, tuple[str, ...]]]:
    """The catalog synced, orders of known outcomes on a service sold once by each panel, and
    the gateway serving: the service and the ``--url/--key`` arguments of an ops key."""
    settings = load_config(config)
    async with open_gateway(settings, trio) as gw:
        await gw.catalog.sync()
        snapshot = await gw.catalog.snapshot()
        group = next(
            g for _, g in sorted(snapshot.groups.items())
            if len(g.members) == 3 and len(g.providers) == 3 and g.type is ServiceType.DEFAULT
        )  # fmt: skip
        members = {m.provider: m.service.id for m in group.members}
        await record_outcomes(database_url, members["alpha"], members["beta"])
        _, key = await gw.store.create_api_key("dashboard", "dashboard", ["ops"])
        async with serve(create_app(settings, gateway=gw, background=False)) as server:
            yield group, ("--url", server.base_url, "--key", key)


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = await cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def figures(row: dict[str, Any]) -> dict[str, tuple[Decimal | None, int]]:
    return {
        name: (None if row[name]["value"] is None else Decimal(row[name]["value"]),
               row[name]["sample"])
        for name in ALPHA
    }  # fmt: skip


async def test_providers_quality_as_json_and_a_table_from_the_ledger_and_the_api(
    running: tuple[Group, tuple[str, ...]], config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, remote = running
    local = await cli_json(capsys, "providers", "--quality", "--config", str(config))
    by_name = {row["provider"]: row for row in local}
    assert list(by_name) == ["alpha", "beta", "gamma"]
    alpha = by_name["alpha"]
    assert (alpha["orders"], alpha["days"], alpha["min_sample"]) == (4, 30, MIN_SAMPLE)
    assert figures(alpha) == ALPHA
    beta = figures(by_name["beta"])
    assert beta["completion_rate"] == (None, 2), "below the minimum: the sample, no value"
    assert beta["refill_success_rate"] == (None, 0)
    assert set(figures(by_name["gamma"]).values()) == {(None, 0)}
    # The running gateway answers the same figures through GraphQL.
    assert await cli_json(capsys, "providers", "--quality", *remote) == local

    for args in (("--config", str(config)), remote):
        code, out, err = await cli(capsys, "providers", "--quality", *args)
        assert code == 0, err
        assert "Provider quality, last 30 days, figures from 3 orders" in out
        alpha_line = next(line for line in out.splitlines() if " alpha " in line)
        for cell in ("0.7500 (4)", "0.9000 (4)", "75 (4)", "3600 (3)", "- (0)"):
            assert cell in alpha_line
        beta_line = next(line for line in out.splitlines() if " beta " in line)
        assert "- (2)" in beta_line
        assert "0." not in beta_line


async def test_quote_explains_each_candidate(
    running: tuple[Group, tuple[str, ...]], config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group, remote = running
    quantity = max(m.service.min for m in group.members)
    args = ("quote", str(group.id), str(quantity), "--policy", "best_value")
    local = await cli_json(capsys, *args, "--config", str(config))
    assert [row["rank"] for row in local] == [1, 2, 3]
    by_name = {row["provider"]: row for row in local}
    alpha = by_name["alpha"]
    for name in ("completion_rate", "delivered_fraction", "start_seconds",
                 "complete_seconds_per_1000"):  # fmt: skip
        assert (Decimal(alpha[name]["value"]), alpha[name]["sample"]) == ALPHA[name]
    cost = Decimal(alpha["cost"])
    assert Decimal(alpha["per_delivered_unit"]) == (
        cost * Decimal("0.9") / (Decimal("0.9") * quantity)
    ).quantize(PLACES)
    gamma = by_name["gamma"]
    assert Decimal(gamma["per_delivered_unit"]) == (Decimal(gamma["cost"]) / quantity).quantize(
        PLACES
    )
    assert all(row["why"] and row["explored"] is False for row in local)
    assert local[0]["why"].startswith("lowest expected cost")
    expected = [Decimal(row["expected_cost"]) for row in local]
    assert expected == sorted(expected)
    # The running gateway ranks and explains the same.
    assert await cli_json(capsys, *args, *remote) == local

    code, out, err = await cli(capsys, "quote", str(group.id), str(quantity), *remote)
    assert code == 0, err
    assert "(policy cheapest, from config)" in out
    assert "lowest quoted cost" in out
    assert "0.9000 (4)" in out
    code, _, err = await cli(capsys, *args[:3], "--policy", "slowest", "--config", str(config))
    assert code == 1
    assert "unknown routing policy 'slowest'" in err


async def _buckets(database_url: str) -> int:
    async with await Store.connect(database_url) as store, store.transaction() as tx:
        return int(
            (await tx.execute(select(func.count()).select_from(provider_quality))).scalar_one()
        )


async def _forget(database_url: str) -> None:
    async with await Store.connect(database_url) as store, store.transaction() as tx:
        await tx.execute(delete(provider_quality))


async def test_backfill_rebuilds_the_same_figures_and_is_idempotent(
    running: tuple[Group, tuple[str, ...]],
    config: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local = ("--config", str(config))
    counted = await cli_json(capsys, "providers", "--quality", *local)
    buckets = await _buckets(database_url)
    assert buckets > 0
    await _forget(database_url)
    forgotten = await cli_json(capsys, "providers", "--quality", *local)
    assert {row["orders"] for row in forgotten} == {0}

    first = await cli_json(capsys, "quality", "backfill", *local)
    assert first == {
        "since": None, "buckets": buckets, "providers": 2, "orders": 6, "window_days": 30,
    }  # fmt: skip
    assert await cli_json(capsys, "providers", "--quality", *local) == counted
    again = await cli_json(capsys, "quality", "backfill", *local)
    assert again == first
    assert await _buckets(database_url) == buckets
    assert await cli_json(capsys, "providers", "--quality", *local) == counted

    # From a day after every order: nothing to rebuild there, the rest stays.
    later = await cli_json(capsys, "quality", "backfill", "--since", "2999-01-01", *local)
    assert (later["since"], later["buckets"], later["orders"]) == ("2999-01-01", 0, 6)
    assert await cli_json(capsys, "providers", "--quality", *local) == counted

    code, out, err = await cli(capsys, "quality", "backfill", *local)
    assert code == 0, err
    assert "buckets" in out
    code, _, err = await cli(capsys, "quality", "backfill", "--since", "last week", *local)
    assert code == 2
    assert "not a date" in err
