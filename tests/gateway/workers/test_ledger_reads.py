"""Client reads answer from the ledger; stale open orders read by clients are polled first by
the status sync, in one batched call however many clients read them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from gateway.core import Gateway
from gateway.store.priority import PRIORITY
from gateway.workers import StatusSync
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import StatusRecorder, insert_orders, place_upstream


async def test_reads_answer_from_the_ledger_and_never_call_a_panel(
    gw: Gateway, trio: Trio, recorders: dict[str, StatusRecorder]
) -> None:
    pids = place_upstream(trio.sims["alpha"], 5)
    later = datetime.now(UTC) + timedelta(minutes=10)
    ids = await insert_orders(gw.store, "alpha", pids, next_poll_at=later)
    outcomes = await asyncio.gather(*(gw.orders.status(ids, None) for _ in range(20)))
    rows = [await gw.orders.get(i, None) for i in ids]
    await gw.orders.freshness.settled()
    assert recorders["alpha"].batches == [], "no status call for a client's read"
    assert all(o.order is not None and o.order.state == "PENDING" for r in outcomes for o in r)
    assert [r.id for r in rows] == ids
    # Just placed: fresh enough, left on its schedule.
    assert all(r.next_poll_at == later for r in await gw.store.get_orders(ids))


async def test_stale_orders_read_by_many_clients_are_polled_in_one_batched_call(
    gw: Gateway, trio: Trio, recorders: dict[str, StatusRecorder]
) -> None:
    pids = place_upstream(trio.sims["alpha"], 30)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    later = datetime.now(UTC) + timedelta(minutes=30)
    ids = await insert_orders(gw.store, "alpha", pids, created_at=long_ago, next_poll_at=later)
    other = await insert_orders(
        gw.store, "alpha", place_upstream(trio.sims["alpha"], 3, tag="x"), created_at=long_ago,
        next_poll_at=later,
    )  # fmt: skip

    await asyncio.gather(
        *(gw.orders.status(ids[n % 3 :], None) for n in range(50)),
        *(gw.orders.get(i, None) for i in ids[:10]),
    )
    await gw.orders.freshness.settled()
    assert recorders["alpha"].batches == [], "reads themselves call no panel"
    moved = {r.id: r.next_poll_at for r in await gw.store.get_orders(ids + other)}
    assert all(moved[i] == PRIORITY for i in ids), "read while stale: polled first"
    assert all(moved[i] == later for i in other), "not read: left on its schedule"

    report = await StatusSync(gw.store, gw.providers).run("alpha")
    assert report.calls == 1
    assert sorted(recorders["alpha"].batches[0]) == sorted(pids)
    synced = await gw.store.get_orders(ids)
    assert all(r.synced_at is not None for r in synced), "every answered order is synced"
    assert all(r.next_poll_at is not None and r.next_poll_at > PRIORITY for r in synced)

    # Now fresh: reading again moves nothing, and the sync has nothing due.
    await gw.orders.status(ids, None)
    await gw.orders.freshness.settled()
    assert all(r.next_poll_at != PRIORITY for r in await gw.store.get_orders(ids))
    assert (await StatusSync(gw.store, gw.providers).run("alpha")).calls == 0


async def test_a_read_leaves_an_order_another_instance_is_polling_to_that_instance(
    gw: Gateway, trio: Trio, recorders: dict[str, StatusRecorder]
) -> None:
    """Two gateways on one ledger: A has claimed stale orders and its status call is on the
    way; a client reads them on B meanwhile. The read must not make them due again, or B's
    sync would poll them a second time while A's poll is still in flight."""
    pids = place_upstream(trio.sims["alpha"], 4)
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=2)
    ids = await insert_orders(gw.store, "alpha", pids, created_at=long_ago, next_poll_at=now)
    await gw.store.beat("gw-a", "gateway", expires_at=now + timedelta(minutes=5))
    await gw.store.beat("gw-b", "gateway", expires_at=now + timedelta(minutes=5))
    claimed = await gw.store.claim_due_orders(
        now=now, lease=timedelta(minutes=2), provider="alpha", instance="gw-a"
    )
    assert sorted(r.id for r in claimed) == ids

    await gw.orders.status(ids, None)  # the client, on B, reads them while A polls
    await gw.orders.freshness.settled()
    assert all(r.next_poll_at != PRIORITY for r in await gw.store.get_orders(ids))
    report = await StatusSync(gw.store, gw.providers, instance="gw-b").run("alpha")
    assert report.calls == 0, "polled by A alone"
    assert recorders["alpha"].batches == []

    # A dies before answering: its claims are due again (liveness), a read included.
    await gw.store.beat("gw-a", "gateway", expires_at=now - timedelta(seconds=1))
    report = await StatusSync(gw.store, gw.providers, instance="gw-b").run("alpha")
    assert report.calls == 1
    assert sorted(recorders["alpha"].batches[0]) == sorted(pids)
