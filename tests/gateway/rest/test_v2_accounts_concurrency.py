"""Funds hold under concurrency: 200 ``add`` sent at once on an account whose funds cover
exactly 100 orders accept exactly 100, whether one gateway process serves them all or two
processes on the same database share them; the other 100 are the panel's "not enough funds"
and reach no provider."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from gateway.accounts.pricing import round_up
from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.panels import PANELS, Trio
from tests.gateway.rest.accounts import Client, account_now, assert_ledger, open_account
from tests.gateway.rest.conftest import serve
from tests.gateway.rest.helpers import order_fields, shared_group

ROOT = Path(__file__).resolve().parents[3]
COVERED = 100
SENT = 200
NO_FUNDS = {"error": "Not enough funds on balance"}


async def funded_for(gw: Gateway, group: Group, orders: int) -> tuple[Client, Decimal]:
    """An account whose funds cover exactly `orders` orders of `group`, and one order's price.

    The service has a fixed rate far above every member's cost, so the price is the same
    whichever provider an order is routed to."""
    rate = round_up(max(m.rate for m in group.members) * 10 + 1)
    price = round_up(rate * order_fields(group)["quantity"] / 1000)
    shop = await open_account(
        gw, "shop", funds=price * orders, overrides=({"service_id": group.id, "rate": str(rate)},)
    )
    return shop, price


def many_at_once() -> httpx.AsyncClient:
    """A client that sends every request at once (no pool queueing on our side)."""
    limits = httpx.Limits(max_connections=SENT, max_keepalive_connections=SENT)
    return httpx.AsyncClient(limits=limits, timeout=120)


async def add_all(urls: list[str], key: str, group: Group) -> list[Any]:
    """`SENT` adds, spread over `urls` in turn, all in flight together."""
    async with many_at_once() as http:
        calls = [v2_at(http, urls[n % len(urls)], key, order_fields(group, n)) for n in range(SENT)]
        return list(await asyncio.gather(*calls))


async def v2_at(http: httpx.AsyncClient, url: str, key: str, fields: dict[str, Any]) -> Any:
    sent = {k: str(v) for k, v in {"key": key, "action": "add", **fields}.items()}
    response = await http.post(f"{url}/api/v2", data=sent)
    assert response.status_code == 200, response.text
    return response.json()


async def check_exactly_covered(
    gw: Gateway, trio: Trio, shop: Client, price: Decimal, answers: list[Any]
) -> None:
    accepted = [a["order"] for a in answers if "order" in a]
    refused = [a for a in answers if "order" not in a]
    assert len(accepted) == COVERED, refused[:3]
    assert refused == [NO_FUNDS] * (SENT - COVERED)
    assert len(set(accepted)) == COVERED
    orders = await gw.store.list_orders(shop.account.name, None, None, 10 * SENT)
    assert sorted(o.id for o in orders) == sorted(accepted), "no order for a refusal"
    assert all(o.client_price == price for o in orders)
    assert sum(trio.calls("add").values()) == COVERED, "no provider call for a refusal"
    account = await account_now(gw, shop.account)
    assert (account.balance, account.held) == (Decimal(0), price * COVERED)
    await assert_ledger(gw)


async def test_200_adds_at_once_on_funds_for_100_accept_100_in_one_process(
    app: Starlette, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    shop, price = await funded_for(gw, group, COVERED)
    async with serve(app) as url:
        answers = await add_all([url], shop.key, group)
    await check_exactly_covered(gw, trio, shop, price, answers)


@contextmanager
def gateway_processes(settings: Settings, trio: Trio, tmp: Path, count: int) -> Iterator[list[str]]:
    """`count` gateway processes serving `settings`; yields their base URLs."""
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"settings": settings.model_dump(mode="json")}))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for panel in PANELS:
        env[f"{panel.name.upper()}_KEY"] = trio.sims[panel.name].key or ""
    with ExitStack() as stack:
        command = [sys.executable, "-m", "tests.gateway.rest.accounts_process", str(spec)]
        procs = []
        for n in range(count):
            log = stack.enter_context((tmp / f"gateway-{n}.log").open("w"))
            proc = subprocess.Popen(
                command, cwd=ROOT, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            )  # fmt: skip
            procs.append(stack.enter_context(proc))  # its pipes are closed on the way out
        try:
            urls = [_started(p, tmp) for p in procs]
            yield urls
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("stop\n")
                proc.stdin.flush()
            for proc in procs:
                assert proc.wait(timeout=60) == 0, _logs(tmp)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


def _started(proc: subprocess.Popen[str], tmp: Path) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("http://127.0.0.1:"), f"{line!r}\n{_logs(tmp)}"
    return line


def _logs(tmp: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(tmp.glob("gateway-*.log")))


async def test_200_adds_at_once_on_funds_for_100_accept_100_across_two_processes(
    gw: Gateway, settings: Settings, trio: Trio, tmp_path: Path
) -> None:
    group = await shared_group(gw)
    shop, price = await funded_for(gw, group, COVERED)
    with gateway_processes(settings, trio, tmp_path, 2) as urls:
        async with many_at_once() as http:
            for url in urls:  # each serves the account's prices before the rush
                listed = await http.post(
                    f"{url}/api/v2", data={"key": shop.key, "action": "services"}
                )
                assert any(s["service"] == group.id for s in listed.json())
        answers = await add_all(urls, shop.key, group)
    await check_exactly_covered(gw, trio, shop, price, answers)
