"""Warnings about an ongoing outage, throttled: the first at once, then one a minute."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class Quiet:
    """Warnings about one ongoing outage: the first at once, then one per `every` seconds."""

    def __init__(
        self,
        every: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger | None = None,
    ) -> None:
        self.every = every
        self.log = log or logging.getLogger("gateway.workers.broadcast")
        self.clock = clock
        self._last: float | None = None
        self.failures = 0
        """Failures since the outage began (0 while things work)."""

    def failed(self, message: str, *args: object) -> None:
        self.failures += 1
        now = self.clock()
        if self._last is None or now - self._last >= self.every:
            self._last = now
            self.log.warning(message + " (%d failures so far)", *args, self.failures)

    def recovered(self, message: str, *args: object) -> None:
        if self.failures:
            self.log.info(message + " after %d failures", *args, self.failures)
        self.failures = 0
        self._last = None
