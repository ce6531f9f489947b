"""A lane of the status sync that fails stops its sibling lanes before the sync raises: none
goes on polling orders that the failure hands back to the fleet."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest

from gateway.core import Gateway
from gateway.workers import StatusSync
from providers.base import Provider
from providers.errors import ProviderError
from providers.models import OrderStatus
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import Now, insert_orders, place_upstream


class Faulty:
    """The panel's adapter, but its second call waits until cancelled and its third fails."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.calls = 0
        self.answered: list[str] = []
        self.waiting = asyncio.Event()
        self.held_call_cancelled = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def status(self, ids: Sequence[str]) -> Mapping[str, OrderStatus | ProviderError]:
        self.calls += 1
        if self.calls == 2:
            self.waiting.set()
            try:
                await asyncio.Event().wait()  # never answers
            except asyncio.CancelledError:
                self.held_call_cancelled = True
                raise
        if self.calls == 3:
            await self.waiting.wait()
            raise RuntimeError("a fault no adapter should have")
        self.answered.extend(ids)
        return await self.inner.status(list(ids))


async def test_a_failing_lane_stops_the_others_and_hands_back_their_orders(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    pids = place_upstream(trio.sims["alpha"], 60)
    await insert_orders(gw.store, "alpha", pids, next_poll_at=now())
    faulty = Faulty(gw.providers["alpha"])
    sync = StatusSync(
        gw.store,
        {"alpha": cast(Provider, faulty)},
        clock=now,
        batch=10,
        lanes=2,
        instance="w1",
    )
    with pytest.raises(RuntimeError, match="no adapter should have"):
        await sync.run("alpha")
    # By the time the sync raised, the held call was stopped, and no lane calls again.
    assert faulty.held_call_cancelled
    assert faulty.calls == 3
    # Another worker polls what was handed back; nothing is polled by both.
    other = Faulty(gw.providers["alpha"])
    other.calls = 100  # past its faults
    report = await StatusSync(
        gw.store,
        {"alpha": cast(Provider, other)},
        clock=now,
        batch=10,
        lanes=2,
        instance="w2",
    ).run("alpha")
    assert report.polled > 0
    assert not set(faulty.answered) & set(other.answered)
    assert faulty.calls == 3
