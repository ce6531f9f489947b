"""Simulated time.

The panel never sleeps or schedules work: an order's progress is a pure function of the time the
clock reports, so a test moves time forward instead of waiting for it.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Seconds of simulated time, and a way to jump ahead."""

    def now(self) -> float:
        """The current simulated time in seconds (starts near 0)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by `seconds`."""
        ...


class ManualClock:
    """A clock that only moves when told to: the deterministic choice for unit tests.

    >>> clock = ManualClock()
    >>> clock.advance(90)
    >>> clock.now()
    90.0
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += seconds


class ScaledClock:
    """Real monotonic time running `speed` times faster, plus any offset added by `advance`.

    ``ScaledClock(60)`` turns a real second into a simulated minute, so a demo shows orders
    completing without waiting for them.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return (time.monotonic() - self._origin) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds
