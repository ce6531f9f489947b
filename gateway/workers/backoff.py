"""When to poll an order next: young orders often, old ones rarely.

Most orders move in their first minutes and then sit for hours, so the interval grows with the
order's age, between a floor and a ceiling::

    >>> from datetime import UTC, datetime, timedelta
    >>> placed = datetime(2026, 1, 1, tzinfo=UTC)
    >>> backoff = Backoff()
    >>> backoff.interval(placed, placed + timedelta(minutes=1))
    datetime.timedelta(seconds=30)
    >>> backoff.interval(placed, placed + timedelta(days=1))
    datetime.timedelta(seconds=3600)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    """The poll schedule: `ratio` of the order's age, kept within `minimum` and `maximum`.

    `retry` is the wait after a failed poll (panel down, throttled), and `missing` the wait for
    an order the panel says it does not know: still polled, in case the panel recovers it.
    """

    minimum: timedelta = timedelta(seconds=30)
    maximum: timedelta = timedelta(hours=1)
    ratio: float = 0.25
    retry: timedelta = timedelta(seconds=60)
    missing: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.minimum > self.maximum:
            raise ValueError("the minimum poll interval exceeds the maximum")
        if self.ratio < 0:
            raise ValueError("the back-off ratio must not be negative")

    def interval(self, created_at: datetime, now: datetime) -> timedelta:
        """How long to wait before polling an order created at `created_at` again."""
        age = max(now - created_at, timedelta(0))
        return min(max(age * self.ratio, self.minimum), self.maximum)

    def next_poll(self, created_at: datetime, now: datetime) -> datetime:
        return now + self.interval(created_at, now)
