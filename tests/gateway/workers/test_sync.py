"""Status sync across three simulated panels over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from gateway import events
from gateway.core import Gateway
from gateway.store import GatewayState, OrderRow
from gateway.workers import MISSING_UPSTREAM, Backoff, StatusSync, unconfirmed_orders
from providers.models import OrderState, ServiceType
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import (
    Now,
    StatusRecorder,
    insert_orders,
    outbox_ids,
    place_upstream,
)


async def place_on_each(gw: Gateway) -> list[OrderRow]:
    """One order through the gateway on each provider's cheapest default service."""
    snapshot = await gw.catalog.snapshot()
    placed: dict[str, OrderRow] = {}
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        member = group.members[0]
        if group.type is not ServiceType.DEFAULT or member.provider in placed:
            continue
        if len(group.members) != 1 or member.service.dripfeed:
            continue
        fields = {"link": f"https://instagram.com/p/{group.id}", "quantity": member.service.min}
        order = await gw.place("client", group.id, fields)
        assert order.provider == member.provider
        placed[member.provider] = order
        if len(placed) == len(gw.providers):
            break
    return list(placed.values())


async def test_statuses_follow_the_simulator_and_each_change_is_announced_once(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    placed = await place_on_each(gw)
    assert len(placed) == 3
    sync = StatusSync(gw.store, gw.providers, clock=now)

    assert (await sync.run()).polled == 0, "not due before the first poll interval"
    seen: list[set[str]] = []
    for step in (60, 60 + 3600, 2 * 86400):
        now.advance(step)
        trio.advance(step)
        report = await sync.run()
        assert report.failed == report.missing == 0
        rows = await gw.store.get_orders(o.id for o in placed)
        for row in rows:
            sim = trio.sims[row.provider or ""]
            upstream = sim.panel.orders()[0]
            assert row.state == upstream.state_at(trio.clock.now()).value
        seen.append({r.state for r in rows})
    assert seen[-1] <= {OrderState.COMPLETED.value, OrderState.PARTIAL.value}

    calls_after = sum(trio.calls("status").values())
    now.advance(86400)
    assert (await sync.run()).polled == 0, "settled orders are never polled again"
    assert sum(trio.calls("status").values()) == calls_after

    ids = await outbox_ids(gw.store)
    assert len(ids) == len(set(ids))
    for order in placed:
        history = [e.kind for e in await gw.store.order_events(order.id)]
        changes = history.count("status")
        mine = [i for i in ids if i.startswith(f"evt_order_{order.id}_")]
        # created + placed (pending) + one per recorded status change.
        assert len(mine) == 2 + changes
        assert mine[-1].endswith(("_completed", "_partial"))


async def test_a_call_carries_100_ids(
    gw: Gateway, trio: Trio, now: Now, recorders: dict[str, StatusRecorder]
) -> None:
    pids = place_upstream(trio.sims["alpha"], 250)
    await insert_orders(gw.store, "alpha", pids, next_poll_at=now())
    trio.advance(86400)
    report = await StatusSync(gw.store, gw.providers, clock=now).run("alpha")
    assert report.polled == report.changed == 250
    batches = recorders["alpha"].batches
    assert sorted(len(b) for b in batches) == [50, 100, 100]
    assert sorted(recorders["alpha"].ids) == sorted(pids)


async def test_younger_orders_are_polled_sooner(gw: Gateway, trio: Trio, now: Now) -> None:
    backoff = Backoff(minimum=timedelta(seconds=30), maximum=timedelta(hours=1), ratio=0.25)
    pids = place_upstream(trio.sims["alpha"], 2)
    [young_id] = await insert_orders(
        gw.store, "alpha", pids[:1], created_at=now(), next_poll_at=now()
    )
    [old_id] = await insert_orders(
        gw.store, "alpha", pids[1:], created_at=now() - timedelta(hours=2), next_poll_at=now()
    )
    await StatusSync(gw.store, gw.providers, backoff=backoff, clock=now).run("alpha")
    young_row, old_row = await gw.store.get_orders([young_id, old_id])
    assert young_row.next_poll_at == now() + timedelta(seconds=30)
    assert old_row.next_poll_at == now() + timedelta(minutes=30)


async def test_an_order_the_panel_forgot_is_flagged_once_and_kept(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    [order_id] = await insert_orders(gw.store, "alpha", ["987654321"], next_poll_at=now())
    sync = StatusSync(gw.store, gw.providers, clock=now)
    assert (await sync.run("alpha")).missing == 1
    row = await gw.store.get_order(order_id)
    assert row.state == OrderState.PENDING
    assert row.error == MISSING_UPSTREAM
    assert row.next_poll_at == now() + sync.backoff.missing
    now.advance(sync.backoff.missing.total_seconds())
    assert (await sync.run("alpha")).missing == 1, "still polled"
    flagged = [i for i in await outbox_ids(gw.store) if i.endswith("_missing")]
    assert flagged == [f"evt_order_{order_id}_v2_missing"]
    pending = await gw.store.pending_outbox(10)
    assert [r.type for r in pending] == [events.ORDER_UPDATED]


async def test_unconfirmed_orders_are_surfaced_and_never_resent(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    order = await gw.store.create_order(
        client_id="c", request={"service": "1", "link": "https://x.com/a", "quantity": 10},
        state=GatewayState.UNCONFIRMED, provider="alpha", next_poll_at=now(),
    )  # fmt: skip
    report = await StatusSync(gw.store, gw.providers, clock=now).run()
    assert report.polled == 0
    assert sum(trio.calls("add").values()) == 0
    assert sum(trio.calls("status").values()) == 0
    assert [r.id for r in await unconfirmed_orders(gw.store)] == [order.id]


async def test_concurrent_syncs_never_poll_an_order_twice(
    gw: Gateway, trio: Trio, now: Now, recorders: dict[str, StatusRecorder]
) -> None:
    for name in ("alpha", "beta"):
        pids = place_upstream(trio.sims[name], 300)
        await insert_orders(gw.store, name, pids, next_poll_at=now())
    trio.advance(86400)
    syncs = [StatusSync(gw.store, gw.providers, clock=now, lanes=3) for _ in range(4)]
    reports = await asyncio.gather(*(s.run() for s in syncs))
    assert sum(r.polled for r in reports) == 600
    for name in ("alpha", "beta"):
        counts = Counter(recorders[name].ids)
        assert len(counts) == 300
        assert set(counts.values()) == {1}
    ids = await outbox_ids(gw.store)
    assert len(ids) == len(set(ids)) == 600
