"""The store fixtures: a `store` on each backend of `tests.databases`, with a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway.store import Store


class FakeClock:
    """Aware UTC time that moves only when a test says so."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    """A store on a migrated, empty database, with a fake clock."""
    async with await Store.connect(database_url, clock=clock) as opened:
        yield opened
