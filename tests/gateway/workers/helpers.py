"""What the worker tests share: a movable "now", orders seeded straight into panels and ledger,
and a recorder of the ids each status call carried."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.store import FINAL_STATES, Store
from gateway.store.tables import orders, outbox
from providers.models import OrderState, ServiceType
from providers.simulator import SimulatorServer
from providers.simulator.render import Renderer


class Now:
    """An injectable clock for the workers: real time at first, then moved by the test."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class StatusRecorder:
    """ASGI middleware in front of a simulator: records the ids of every ``status`` call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.batches: list[list[str]] = []
        self._lock = threading.Lock()

    @property
    def ids(self) -> list[str]:
        with self._lock:
            return [i for batch in self.batches for i in batch]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        fields = dict(parse_qsl(scope.get("query_string", b"").decode()))
        try:
            decoded = json.loads(body) if body.lstrip().startswith(b"{") else None
        except ValueError:
            decoded = None
        fields.update(decoded if isinstance(decoded, dict) else dict(parse_qsl(body.decode())))
        if fields.get("action") == "status":
            ids = str(fields.get("orders") or fields.get("order") or "")
            with self._lock:
                self.batches.append([i for i in ids.split(",") if i])
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def record_status(sim: SimulatorServer) -> StatusRecorder:
    """Put a recorder in front of `sim` (before it starts)."""
    recorder = StatusRecorder(sim.app)
    sim.app = recorder  # type: ignore[assignment]  # any ASGI app serves
    return recorder


def place_upstream(sim: SimulatorServer, count: int, *, tag: str = "") -> list[str]:
    """Place `count` orders directly in the simulated panel; their ids as the panel shows them."""
    service = next(
        s
        for s in sim.panel.services
        if s.type is ServiceType.DEFAULT and not s.dripfeed and s.min <= 100
    )
    codec = Renderer(sim.profile, salt=str(sim.panel.seed)).order_ids
    ids = []
    for n in range(count):
        fields = {"link": f"https://instagram.com/p/{tag}{n}", "quantity": str(service.min)}
        order = sim.panel.add(sim.key or "", service.id, fields)
        ids.append(str(codec.encode(order.id)))
    return ids


async def insert_orders(
    store: Store,
    provider: str,
    provider_ids: Sequence[str],
    *,
    created_at: datetime | None = None,
    next_poll_at: datetime | None = None,
    state: str = OrderState.PENDING,
) -> list[int]:
    """Ledger rows for orders already placed upstream, in one statement (fast for thousands)."""
    now = datetime.now(UTC)
    created = created_at or now
    rows: list[dict[str, Any]] = [
        {
            "client_id": "client",
            "request": {"service": "1", "link": f"https://instagram.com/p/{pid}", "quantity": 10},
            "state": state,
            "provider": provider,
            "provider_service_id": "1",
            "provider_order_id": pid,
            "attempts": [],
            "created_at": created,
            "updated_at": created,
            "next_poll_at": next_poll_at or now,
            "version": 1,
        }
        for pid in provider_ids
    ]
    async with store.transaction() as tx:
        await tx.execute(orders.insert(), rows)
        result = await tx.execute(
            select(orders.c.id).where(orders.c.provider == provider).order_by(orders.c.id)
        )
        return [int(i) for i in result.scalars()][-len(rows) :]


async def open_count(store: Store) -> int:
    """Orders not yet settled."""
    async with store.transaction() as tx:
        query = select(func.count()).where(orders.c.state.not_in(sorted(FINAL_STATES)))
        return int((await tx.execute(query.select_from(orders))).scalar_one())


async def outbox_ids(store: Store) -> list[str]:
    async with store.transaction() as tx:
        result = await tx.execute(select(outbox.c.event_id).order_by(outbox.c.id))
        return [str(i) for i in result.scalars()]


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool],
    *,
    within: float = 10.0,
    interval: float = 0.02,
) -> None:
    """Wait until `check()` holds, polling every `interval`; fail after `within` seconds."""
    for _ in range(max(1, int(within / interval))):
        outcome = check()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within:g}s")
