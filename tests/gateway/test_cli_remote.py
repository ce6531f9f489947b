"""Operator commands against a running gateway: webhooks, providers, balances."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.cli import main
from gateway.cli.common import LOCAL_ONLY
from gateway.config import Settings, WebhooksSection
from providers.simulator.faults import Fault, FaultKind
from tests.gateway.graphql.server import serve
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=60)


@pytest.fixture
async def running(trio: Trio, database_url: str, namespace: str) -> AsyncIterator[tuple[str, str]]:
    settings: Settings = trio_settings(trio, database_url, None, namespace).model_copy(
        update={"webhooks": WebhooksSection(allow_private_targets=True)}
    )
    async with open_gateway(settings, trio) as gw:
        _, key = await gw.store.create_api_key("ops", "ops", ["admin"])
        async with serve(create_app(settings, gateway=gw, background=False)) as server:
            yield server.graphql_url.removesuffix("/graphql"), key


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_add_list_and_deliveries(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, key = running
    remote = ("--url", url, "--key", key, "--json")
    code, out, err = await cli(capsys, "webhooks", "add", "http://127.0.0.1:9/hook",
                               "--event", "order.completed", *remote)  # fmt: skip
    assert code == 0, err
    created: dict[str, Any] = json.loads(out)
    assert created["secret"].startswith("whsec_")
    code, out, _ = await cli(capsys, "webhooks", "list", *remote)
    listed = json.loads(out)
    assert [e["url"] for e in listed] == ["http://127.0.0.1:9/hook"]
    assert "secret" not in listed[0]
    code, out, _ = await cli(capsys, "webhooks", "deliveries", str(created["id"]), *remote)
    assert code == 0
    assert json.loads(out) == []


async def test_add_without_an_event_sends_every_event(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--event` is optional ("default: all"): an endpoint added without one gets them all."""
    url, key = running
    code, out, err = await cli(capsys, "webhooks", "add", "http://127.0.0.1:9/all",
                               "--url", url, "--key", key, "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["event_types"] == ["*"]


async def test_a_wrong_key_is_one_clear_line(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = running
    code, _, err = await cli(capsys, "webhooks", "list", "--url", url, "--key", "nope-nope-nope")
    assert code == 1
    assert "HTTP 401" in err
    assert "Traceback" not in err


async def test_an_unreachable_gateway_is_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = await cli(
        capsys, "webhooks", "list", "--url", "http://127.0.0.1:9", "--key", "k"
    )
    assert code == 1
    assert "cannot reach the gateway" in err


async def test_providers_and_balances_of_a_running_gateway(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, key = running
    remote = ("--url", url, "--key", key, "--json")
    code, out, err = await cli(capsys, "providers", *remote)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["provider"] for r in rows] == ["alpha", "beta", "gamma"]
    assert all(r["health"] == "CLOSED" for r in rows)
    assert all(r["balance"] is not None for r in rows)
    assert all(datetime.fromisoformat(r["synced"]).tzinfo is not None for r in rows)
    code, out, err = await cli(capsys, "balances", *remote)
    assert code == 0, err
    *providers, total = json.loads(out)
    assert total["currency"] == "USD"
    assert Decimal(total["total"]) == sum(Decimal(p["in_base"]) for p in providers)
    code, out, _ = await cli(capsys, "providers", "--url", url, "--key", key)
    assert code == 0
    assert "Providers" in out


async def test_services_quote_and_orders_of_a_running_gateway(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, key = running
    remote = ("--url", url, "--key", key, "--json")
    code, out, err = await cli(capsys, "services", "search", "followers",
                               "--platform", "instagram", *remote)  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert found
    assert all(g["platform"] == "instagram" for g in found)
    code, out, err = await cli(capsys, "services", "search", "followers", "--platform",
                               "INSTAGRAM", "--metric", "Followers", "--max-rate", "100000",
                               *remote)  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == [g for g in found if g["metric"] == "followers"]
    group = found[0]
    code, out, err = await cli(capsys, "quote", str(group["id"]), str(group["max"]), *remote)
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["rank"] == 1
    code, out, err = await cli(capsys, "orders", "list", *remote)
    assert code == 0, err
    assert json.loads(out) == []
    code, out, err = await cli(capsys, "orders", "list", "--state", "pending", "--state",
                               "Completed", "--limit", "500", *remote)  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == []
    code, _, err = await cli(capsys, "quote", "987654", "100", *remote)
    assert code == 1
    assert "987654" in err or "not" in err.lower()


async def test_orders_are_shown_refilled_and_cancelled_on_a_running_gateway(
    running: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, key = running
    remote = ("--url", url, "--key", key, "--json")
    async with httpx.AsyncClient(base_url=url) as http:
        listed = (await http.post("/api/v2", data={"key": key, "action": "services"})).json()
        service = next(s for s in listed if s["type"] == "Default" and s["cancel"])
        added = await http.post("/api/v2", data={
            "key": key, "action": "add", "service": service["service"],
            "link": "https://instagram.com/p/cli", "quantity": service["max"],
        })  # fmt: skip
    order_id = added.json()["order"]

    code, out, err = await cli(capsys, "orders", "show", str(order_id), *remote)
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["id"], shown["client"], shown["state"]) == (order_id, "ops", "PENDING")
    assert [line.split()[2:] for line in shown["history"]] == [["created", "RECEIVED"],
                                                               ["placed", "PENDING"]]  # fmt: skip
    assert shown["provider_order"]
    assert shown["price_currency"] == "USD"
    assert "charge" not in shown
    code, out, _ = await cli(capsys, "orders", "show", str(order_id), *remote[:-1])
    assert code == 0
    assert "['" not in out, "the history is lines, not a list"
    code, out, err = await cli(capsys, "orders", "show", "999999", *remote)
    assert (code, out) == (1, "")
    assert "no order 999999" in err

    code, out, err = await cli(capsys, "orders", "refill", str(order_id), "999999", *remote)
    assert (code, err) == (1, "error: 2 of 2 orders refused\n")
    refills = json.loads(out)
    assert [(r["order"], r["refill"]) for r in refills] == [(order_id, None), (999999, None)]
    assert refills[0]["error"], "not refillable while pending"
    assert "999999" in refills[1]["error"]

    code, out, err = await cli(capsys, "orders", "cancel", str(order_id), *remote)
    assert code == 0, err
    assert json.loads(out) == [{"order": order_id, "requested": True, "error": None}]


async def test_catalog_sync_and_changes_through_a_running_gateway(
    running: tuple[str, str], trio: Trio, capsys: pytest.CaptureFixture[str]
) -> None:
    url, key = running
    remote = ("--url", url, "--key", key, "--json")
    code, out, err = await cli(capsys, "catalog", "sync", *remote)
    assert code == 0, err
    panel = trio.sims["alpha"].panel
    service = panel.services[0]
    panel.set_rate(service.id, service.rate * 2)  # the panel re-prices one service
    code, out, err = await cli(capsys, "catalog", "sync", *remote)
    assert code == 0, err
    synced = {row["provider"]: row for row in json.loads(out)}
    assert set(synced) == set(trio.sims)
    assert all(row["ok"] and row["error"] is None for row in synced.values())
    assert synced["alpha"]["changed"] == 1
    trio.sims["beta"].faults.add(Fault(FaultKind.HTTP_5XX, actions=frozenset({"services"})))
    code, out, err = await cli(capsys, "catalog", "sync", *remote)
    assert code == 1
    assert err == "error: 1 of 3 providers failed to sync (beta)\n"
    assert not {row["provider"]: row for row in json.loads(out)}["beta"]["ok"]

    code, out, err = await cli(capsys, "catalog", "changes", "--days", "1", *remote)
    assert code == 0, err
    changed = [c for c in json.loads(out) if c["kind"] == "changed"]
    assert [(c["provider"], c["service"]) for c in changed] == [("alpha", str(service.id))]
    assert Decimal(changed[0]["new"]) == Decimal(changed[0]["old"]) * 2


@pytest.mark.parametrize("args", [["quality", "backfill"]])
async def test_a_command_without_a_url_mode_says_so_when_only_a_gateway_url_is_set(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "SMM_GATEWAY_CONFIG", "SMM_GATEWAY_GATEWAY__DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMM_GATEWAY_URL", "http://127.0.0.1:9")
    code, out, err = await cli(capsys, *args)
    assert (code, out) == (1, "")
    assert err == f"error: {LOCAL_ONLY}\n"
