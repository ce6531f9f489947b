"""A panel's rate limit: each key's calls over the last minute, a window that slides."""

from __future__ import annotations

from collections import deque

from .problems import PanelError, Problem

WINDOW = 60.0
"""Seconds a call counts against its key's limit."""


class CallWindows:
    """Each key's calls in the last `WINDOW` seconds. Not locked: the `Panel` holds its own lock
    around every call."""

    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = {}

    def count(self, key: str, limit: int, now: float) -> None:
        """Count one call of `key` at `now` (seconds), or raise `PanelError(RATE_LIMITED)` with
        the seconds to wait when `limit` calls already count."""
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - WINDOW:
            window.popleft()
        if len(window) >= limit:
            retry = max(1, int(window[0] + WINDOW - now) + 1)
            raise PanelError(Problem.RATE_LIMITED, limit=limit, retry_after=retry)
        window.append(now)
