"""The in-process cache, for a single instance or when no Redis is configured."""

from __future__ import annotations

import time
from collections import OrderedDict

from gateway.cache.base import Cache, Clock


class MemoryCache(Cache):
    """An in-process cache holding at most `max_entries`, evicting the least recently used."""

    def __init__(self, *, max_entries: int = 10_000, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._versions: dict[str, int] = {}

    async def _read(self, key: str) -> bytes | None:
        item = self._entries.get(key)
        if item is None:
            return None
        if self._clock() >= item[0]:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return item[1]

    async def _write(self, key: str, data: bytes, ttl: float) -> None:
        self._entries[key] = (self._clock() + ttl, data)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def _version(self, namespace: str) -> str:
        return str(self._versions.get(namespace, 0))

    async def bump(self, namespace: str) -> int:
        self._versions[namespace] = self._versions.get(namespace, 0) + 1
        return self._versions[namespace]
