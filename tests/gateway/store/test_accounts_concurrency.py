"""Holds racing for the last funds: 200 orders of 1.00 on an account with exactly 100.00 hold
exactly 100, whether they come from one process or from two OS processes at once, on SQLite
and PostgreSQL; nothing is overdrawn and the ledger adds up."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.accounts.errors import InsufficientFunds
from gateway.store import AccountRow, Store

from .accounts_helpers import current, funded, placed

ROOT = Path(__file__).resolve().parents[3]
ORDERS = 200
PRICE = Decimal("1.00")
FUNDS = Decimal("100.00")


@pytest.fixture(autouse=True)
async def ledger_adds_up(store: Store) -> AsyncIterator[None]:
    yield
    assert await store.ledger_problems() == []


async def _exactly_funds_held(store: Store, account: AccountRow) -> None:
    after = await current(store, account)
    assert (after.balance, after.held) == (Decimal(0), FUNDS)
    orders = await store.list_orders(account.name, limit=ORDERS)
    assert len(orders) == 100  # refused orders rolled back with their hold
    assert all(row.client_price == PRICE for row in orders)


async def test_200_concurrent_holds_in_one_process_take_exactly_the_funds(store: Store) -> None:
    account = await funded(store, funds=FUNDS)
    answers = await asyncio.gather(
        *(placed(store, account, PRICE) for _ in range(ORDERS)), return_exceptions=True
    )
    held = [a for a in answers if not isinstance(a, BaseException)]
    refused = [a for a in answers if isinstance(a, InsufficientFunds)]
    assert (len(held), len(refused)) == (100, 100), [a for a in answers if isinstance(a, Exception)]
    await _exactly_funds_held(store, account)


def _start(url: str, account_id: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.store.accounts_process", url, str(account_id),
         str(count), str(PRICE)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the process did not start: {line!r}\n{err}")


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return answer


async def test_200_concurrent_holds_from_two_processes_take_exactly_the_funds(
    store: Store, database_url: str
) -> None:
    account = await funded(store, funds=FUNDS)
    procs = [_start(database_url, account.id, ORDERS // 2) for _ in range(2)]
    try:
        await asyncio.gather(*(asyncio.to_thread(_ready, p) for p in procs))
        for proc in procs:  # both are waiting: let them go together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        one, two = await asyncio.gather(*(asyncio.to_thread(_finish, p) for p in procs))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert one["other"] == two["other"] == [], (one, two)
    assert one["held"] + two["held"] == 100, (one, two)
    assert one["refused"] + two["refused"] == 100, (one, two)
    await _exactly_funds_held(store, account)
