"""Price changes are found against what the ledger says each panel listed last, so the changes
made while no gateway ran (and with no Redis to remember the last list) are still recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from decimal import Decimal

import pytest

from gateway.store import PriceChangeKind
from tests.gateway.panels import Trio, open_gateway, start_trio, trio_settings


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack, services=40)


async def test_changes_made_while_the_gateway_was_stopped_are_recorded_without_redis(
    trio: Trio, database_url: str, namespace: str
) -> None:
    settings = trio_settings(trio, database_url, None, namespace)  # the in-process cache
    async with open_gateway(settings, trio) as gw:
        first = {r.provider: r for r in await gw.catalog.sync()}
        assert all(r.ok for r in first.values())
        assert await gw.store.price_changes() == [], "a first sync has nothing to compare with"

    # While no gateway runs, alpha re-prices one service, drops another and lists a new one.
    panel = trio.sims["alpha"].panel
    repriced, dropped, kept = panel.services[0], panel.services[1], panel.services[2]
    panel.set_rate(repriced.id, repriced.rate * 3)
    added = replace(kept, id=max(s.id for s in panel.services) + 1, rate=Decimal("0.4321"))
    panel.services = [s for s in panel.services if s.id != dropped.id] + [added]

    async with open_gateway(settings, trio) as gw:  # a new process: nothing cached
        synced = {r.provider: r for r in await gw.catalog.sync()}
        assert (synced["alpha"].added, synced["alpha"].changed, synced["alpha"].removed) == (
            1,
            1,
            1,
        )
        assert all(
            (r.added, r.changed, r.removed) == (0, 0, 0) for n, r in synced.items() if n != "alpha"
        )
        changes = {c.kind: c for c in await gw.store.price_changes()}
        assert set(changes) == {
            PriceChangeKind.ADDED,
            PriceChangeKind.CHANGED,
            PriceChangeKind.REMOVED,
        }
        change = changes[PriceChangeKind.CHANGED]
        assert (change.provider, change.provider_service_id) == ("alpha", str(repriced.id))
        assert (change.old_rate, change.new_rate) == (repriced.rate, repriced.rate * 3)
        gone = changes[PriceChangeKind.REMOVED]
        assert (gone.provider_service_id, gone.old_rate, gone.new_rate) == (
            str(dropped.id),
            dropped.rate,
            None,
        )
        assert gone.currency == change.currency == "USD"
        new = changes[PriceChangeKind.ADDED]
        assert (new.provider_service_id, new.old_rate, new.new_rate) == (
            str(added.id),
            None,
            Decimal("0.4321"),
        )

        # And the list just recorded is the next sync's baseline: nothing changed since.
        again = {r.provider: r for r in await gw.catalog.sync()}
        assert all((r.added, r.changed, r.removed) == (0, 0, 0) for r in again.values())
        assert len(await gw.store.price_changes()) == 3


async def test_syncs_of_several_gateways_at_once_record_each_change_once(
    trio: Trio, database_url: str, redis_url: str, namespace: str
) -> None:
    """A fleet on one ledger: each re-pricing is one price change (one event), however many
    gateways fetch the new list at the same moment and compare it with the last one."""
    settings = trio_settings(trio, database_url, redis_url, namespace)
    async with (
        open_gateway(settings, trio) as a,
        open_gateway(settings, trio) as b,
        open_gateway(settings, trio) as c,
    ):
        await a.catalog.sync(["alpha"])
        panel = trio.sims["alpha"].panel
        service = panel.services[0]
        rates = [service.rate * n for n in (2, 3, 4)]
        for rate in rates:
            panel.set_rate(service.id, rate)
            await asyncio.gather(*(gw.catalog.sync(["alpha"]) for gw in (a, b, c, a, b)))
        changes = await a.store.price_changes()
        assert [(ch.old_rate, ch.new_rate) for ch in changes] == list(
            zip([service.rate, *rates[:-1]], rates, strict=True)
        )
