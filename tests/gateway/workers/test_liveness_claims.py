"""Claims follow liveness: an order claimed by a process whose heartbeat expired is due again
at once, whatever its lease; a live claimant keeps it; a finished poll ends the claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from pydantic import ValidationError

from gateway.config import WorkersSection
from gateway.fleet import Heartbeat
from gateway.store import Store
from tests.gateway.workers.helpers import insert_orders

LEASE = timedelta(hours=1)


async def test_orders_of_a_dead_claimant_are_due_again_before_their_lease(
    database_url: str,
) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        ids = await insert_orders(store, "alpha", ["1", "2", "3"], next_poll_at=now)
        await store.beat("worker-a", "worker", expires_at=now + timedelta(seconds=10))
        await store.beat("worker-b", "worker", expires_at=now + timedelta(seconds=10))
        claimed = await store.claim_due_orders(now=now, lease=LEASE, instance="worker-a")
        assert [r.id for r in claimed] == ids

        # worker-a still beats: its claims hold.
        later = now + timedelta(seconds=5)
        assert await store.claim_due_orders(now=later, lease=LEASE, instance="worker-b") == []

        # worker-a's heartbeat expired (it was SIGKILLed); the lease has most of an hour left.
        later = now + timedelta(seconds=11)
        await store.beat("worker-b", "worker", expires_at=later + timedelta(seconds=10))
        taken = await store.claim_due_orders(now=later, lease=LEASE, instance="worker-b")
        assert [r.id for r in taken] == ids
        assert all(r.next_poll_at == later + LEASE for r in taken)
        assert await store.claim_due_orders(now=later, lease=LEASE, instance="worker-c") == []


async def test_a_rescheduled_order_is_no_longer_tied_to_its_claimant(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        [order_id] = await insert_orders(store, "alpha", ["1"], next_poll_at=now)
        await store.beat("worker-a", "worker", expires_at=now + timedelta(seconds=10))
        await store.claim_due_orders(now=now, lease=LEASE, instance="worker-a")
        await store.reschedule_orders({order_id: now + LEASE})
        # worker-a dies later: the order it polled and handed back keeps its schedule.
        after = now + timedelta(seconds=30)
        assert await store.claim_due_orders(now=after, lease=LEASE, instance="worker-b") == []


async def test_a_process_that_stops_cleanly_frees_its_claims_at_once(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        now = datetime.now(UTC)
        [order_id] = await insert_orders(store, "alpha", ["1"], next_poll_at=now)
        async with Heartbeat(store, "worker", every=5, timeout=60, instance="worker-a"):
            await store.claim_due_orders(now=now, lease=LEASE, instance="worker-a")
            mid = datetime.now(UTC)
            assert await store.claim_due_orders(now=mid, lease=LEASE, instance="w-b") == []
        after = datetime.now(UTC) + timedelta(milliseconds=1)
        [row] = await store.claim_due_orders(now=after, lease=LEASE, instance="w-b")
        assert row.id == order_id


def test_the_heartbeat_timeout_must_leave_room_for_missed_beats() -> None:
    section = WorkersSection(heartbeat_seconds=1, heartbeat_timeout_seconds=5, lease_seconds=60)
    assert (section.heartbeat_seconds, section.heartbeat_timeout_seconds) == (1, 5)
    with pytest.raises(ValidationError, match="at least twice heartbeat_seconds"):
        WorkersSection(heartbeat_seconds=2, heartbeat_timeout_seconds=3)
    with pytest.raises(ValueError, match="longer than the heartbeat"):
        Heartbeat(cast(Store, None), "worker", every=5, timeout=5)
