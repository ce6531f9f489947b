"""When to try a failed delivery again: jittered exponential backoff over about a day, or what
the receiver asked for with ``Retry-After``.

Attempt *n* (1 for the first retry) waits ``base * factor**(n-1)``, capped at `cap`, with
"equal jitter" (between half and all of it) so receivers coming back from an outage are not hit
by every retry at once. With the defaults the waits run 5 s, 20 s, 80 s, 5 min, 21 min, 1.4 h,
5.7 h, then 10 h: nine retries span a little over a day.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetrySchedule:
    base: float = 5.0
    factor: float = 4.0
    cap: float = 10 * 3600.0
    max_retry_after: float = 24 * 3600.0
    """A longer ``Retry-After`` is shortened to this."""
    random: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        full = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        return full / 2 + self.random() * full / 2

    def next_attempt(
        self, attempt: int, now: datetime, retry_after: float | None = None
    ) -> datetime:
        if retry_after is not None:
            wait = min(max(retry_after, 1.0), self.max_retry_after)
        else:
            wait = self.delay(attempt)
        return now + timedelta(seconds=wait)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
