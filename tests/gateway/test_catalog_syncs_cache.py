"""The ledger's catalog sync times, as routing reads them: once per catalog version and per
``SYNCS_FRESH`` of the gateway's clock, with this process's own syncs counted at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from gateway.catalog_sync import SYNCS_FRESH
from gateway.config import Settings
from gateway.core import Gateway
from gateway.routing import ProviderState
from tests.gateway.panels import Trio, trio_providers, trio_settings
from tests.gateway.workers.helpers import Now


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def no_redis(trio: Trio, database_url: str, namespace: str) -> Settings:
    # Each process keeps its own memory cache: no version is announced between processes.
    return trio_settings(trio, database_url, None, namespace)


async def opened(settings: Settings, trio: Trio, now: Now) -> Gateway:
    """A gateway whose catalog is synced and built. Synced first: a first snapshot that syncs
    on its own is kept under the version read before its sync, so a later check (after a
    second of real time, which a loaded machine can take) rebuilds it and reads the ledger's
    sync times anew, which is not the bound these tests are about."""
    gw = await Gateway.open(settings, providers=trio_providers(trio, settings), clock=now)
    try:
        await gw.catalog.sync()
        await gw.catalog.snapshot()
    except BaseException:
        await gw.aclose()
        raise
    return gw


@pytest.fixture
async def serving(no_redis: Settings, trio: Trio, now: Now) -> AsyncIterator[Gateway]:
    gw = await opened(no_redis, trio, now)
    try:
        yield gw
    finally:
        await gw.aclose()


def stale(states: Mapping[str, ProviderState]) -> set[str]:
    return {name for name, s in states.items() if s.catalog_stale}


def past_stale(settings: Settings) -> float:
    catalog = settings.catalog
    return catalog.refresh_seconds * (catalog.stale_after_refreshes + 1)


async def test_a_sync_in_this_process_counts_at_once(
    serving: Gateway, no_redis: Settings, now: Now, trio: Trio
) -> None:
    await serving.catalog.snapshot()
    now.advance(past_stale(no_redis))
    assert stale(await serving.provider_states()) == set(trio.sims)

    # The clock has not moved: the sync times read a moment ago are still trusted, yet this
    # process's own sync is seen.
    [name, *others] = sorted(trio.sims)
    await serving.catalog.sync([name])
    assert stale(await serving.provider_states()) == set(others)
    await serving.catalog.sync(others)
    assert stale(await serving.provider_states()) == set()


async def test_another_process_sync_is_seen_within_the_bound(
    serving: Gateway, no_redis: Settings, now: Now, trio: Trio
) -> None:
    worker = await opened(no_redis, trio, now)
    try:
        await serving.catalog.snapshot()
        await worker.catalog.snapshot()
        now.advance(past_stale(no_redis))
        assert stale(await serving.provider_states()) == set(trio.sims)

        await worker.catalog.sync()
        # Read from the ledger at most once per SYNCS_FRESH: the worker's sync is not known yet.
        assert stale(await serving.provider_states()) == set(trio.sims)
        now.advance(SYNCS_FRESH.total_seconds())
        assert stale(await serving.provider_states()) == set()
    finally:
        await worker.aclose()


async def test_a_clock_that_went_back_reads_again(
    serving: Gateway, no_redis: Settings, now: Now, trio: Trio
) -> None:
    worker = await opened(no_redis, trio, now)
    try:
        await serving.catalog.snapshot()
        now.advance(past_stale(no_redis))
        assert stale(await serving.provider_states()) == set(trio.sims)
        now.advance(-0.5)
        await worker.catalog.sync()
        assert stale(await serving.provider_states()) == set()
    finally:
        await worker.aclose()
