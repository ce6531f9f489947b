"""Moving windows for the per-key limits: in this process (a deque per key), or in Redis (one
script, one round trip).

A window of ``amount`` per ``expiry`` seconds admits a hit of ``cost`` when what it counted in
the last ``expiry`` seconds plus ``cost`` is at most ``amount``; a refused hit counts nothing.
Hits are kept as (time, cost) entries, oldest first, with their running total, so a hit costs
the same whatever the window holds: expired entries leave from the old end, a new one joins at
the new end. Hits within a thousandth of the window of an entry's first hit share that entry,
stamped with the latest of them, so a window keeps at most about a thousand entries however
many requests it admits; such an entry leaves the window at most that thousandth later than
its first hit would have (stricter, never looser, than counting each hit apart). The span is
measured from the entry's first hit, so a steady stream cannot chain one entry for ever.

The in-process windows are bounded (`MAX_WINDOWS`, the least recently hit leave first), so a
caller rotating addresses cannot grow them without end.

`hit` answers in one step whether the hit was admitted, what the window now counts and when
its oldest entry leaves (when a refused caller may come back): no second call for the stats.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

RESOLUTION = 1000
"""Hits within ``expiry / RESOLUTION`` seconds of each other share an entry."""
SWEEP_EVERY = 60.0
"""How often (seconds) the in-process windows drop keys that have counted nothing lately."""
MAX_WINDOWS = 100_000
"""At most this many in-process windows; beyond it the least recently hit is dropped."""


@dataclass(slots=True)
class Counted:
    """A window's answer to one hit (not frozen: one per hit, and frozen costs more to make)."""

    allowed: bool
    count: int
    """What the window counts now (the hit included when allowed)."""
    reset_in: float
    """Seconds until the window's oldest entry leaves it (0 for an empty window)."""


class _Window:
    __slots__ = ("entries", "expiry", "total")

    def __init__(self, expiry: float) -> None:
        self.entries: deque[list[float]] = deque()  # [latest, cost, first], oldest first
        self.expiry = expiry
        self.total = 0


class MemoryWindows:
    """Every window of this process, by key; constant work per hit, no locks (the event loop
    runs one hit at a time, and a hit never awaits)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_windows: int = MAX_WINDOWS
    ) -> None:
        self._clock = clock
        self._max_windows = max_windows
        self._windows: dict[tuple[str, int, float], _Window] = {}
        self._next_sweep = clock() + SWEEP_EVERY

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, identity: str, amount: int, expiry: float, cost: int) -> Counted:
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        key = (identity, amount, expiry)
        window = self._windows.pop(key, None)  # put back last: the dict runs oldest hit first
        if window is None:
            window = _Window(expiry)
            if len(self._windows) >= self._max_windows:
                del self._windows[next(iter(self._windows))]
        self._windows[key] = window
        entries = window.entries
        edge = now - expiry
        while entries and entries[0][0] <= edge:
            window.total -= int(entries.popleft()[1])
        allowed = window.total + cost <= amount
        if allowed and cost > 0:
            window.total += cost
            newest = entries[-1] if entries else None
            if newest is not None and now - newest[2] < expiry / RESOLUTION:
                newest[0] = now
                newest[1] += cost
            else:
                entries.append([now, cost, now])
        reset_in = entries[0][0] + expiry - now if entries else 0.0
        return Counted(allowed, window.total, reset_in)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_EVERY
        idle = [
            key
            for key, window in self._windows.items()
            if not window.entries or window.entries[-1][0] <= now - window.expiry
        ]
        for key in idle:
            del self._windows[key]


# KEYS: the entries (a list, newest first, "latest:cost:first"), the running total.
# ARGV: now (seconds, wall clock), expiry (seconds), amount, cost, resolution (seconds).
# Returns {allowed (0/1), count, the oldest entry's time as text ("" when empty)}.
# A total lost on its own (evicted) is counted again from the entries.
_SCRIPT = """
local entries, total_key = KEYS[1], KEYS[2]
local now, expiry = tonumber(ARGV[1]), tonumber(ARGV[2])
local amount, cost, resolution = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local function parts(entry)
  local a = string.find(entry, ':', 1, true)
  local b = string.find(entry, ':', a + 1, true)
  return tonumber(string.sub(entry, 1, a - 1)), tonumber(string.sub(entry, a + 1, b - 1)),
    string.sub(entry, b + 1)
end
local total = tonumber(redis.call('GET', total_key) or '')
if not total then
  total = 0
  for _, entry in ipairs(redis.call('LRANGE', entries, 0, -1)) do
    local _, counted = parts(entry)
    total = total + counted
  end
end
local edge = now - expiry
while true do
  local oldest = redis.call('LINDEX', entries, -1)
  if not oldest then total = 0 break end
  local at, counted = parts(oldest)
  if at > edge then break end
  redis.call('RPOP', entries)
  total = total - counted
end
if total < 0 then total = 0 end
local allowed = 0
if total + cost <= amount then
  allowed = 1
  if cost > 0 then
    total = total + cost
    local newest = redis.call('LINDEX', entries, 0)
    local merged = false
    if newest then
      local _, counted, first = parts(newest)
      if now - tonumber(first) < resolution then
        redis.call('LSET', entries, 0, ARGV[1] .. ':' .. (counted + cost) .. ':' .. first)
        merged = true
      end
    end
    if not merged then
      redis.call('LPUSH', entries, ARGV[1] .. ':' .. ARGV[4] .. ':' .. ARGV[1])
    end
  end
end
local ttl = math.ceil(expiry * 1000)
if total > 0 then
  redis.call('SET', total_key, total, 'PX', ttl)
  redis.call('PEXPIRE', entries, ttl)
else
  redis.call('DEL', total_key, entries)
end
local oldest = redis.call('LINDEX', entries, -1)
local at = ''
if oldest then at = string.sub(oldest, 1, string.find(oldest, ':', 1, true) - 1) end
return {allowed, total, at}
"""


class RedisWindows:
    """The windows every instance shares, in Redis: one script call per hit.

    Times are the instances' wall clocks (as a moving window in Redis has always been
    counted here), so instances are expected to keep their clocks in step.
    """

    def __init__(
        self,
        pool: aioredis.ConnectionPool,
        prefix: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = aioredis.Redis(connection_pool=pool)
        self._script = self._redis.register_script(_SCRIPT)
        self._prefix = prefix
        self._clock = clock

    async def hit(self, identity: str, amount: int, expiry: float, cost: int) -> Counted:
        now = self._clock()
        # One hash slot for both keys (a Redis Cluster runs the script on one node).
        base = f"{self._prefix}:w2:{{{identity}/{amount}/{expiry:g}}}"
        stamp = f"{now:.6f}"
        allowed, count, oldest = await self._script(
            keys=[base, base + ":total"],
            args=[stamp, f"{expiry:g}", amount, cost, repr(expiry / RESOLUTION)],
        )
        text = oldest.decode() if isinstance(oldest, bytes) else str(oldest)
        reset_in = float(text) + expiry - now if text else 0.0
        return Counted(bool(allowed), int(count), reset_in)
