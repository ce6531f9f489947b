"""The cache interface, and the behaviour every backend shares.

Backends store bytes (`_read`, `_write`, `delete`) and namespace versions (`_version`, `bump`);
a shared backend also provides a cross-process lock (`_lock`, `_unlock`). Freshness, stale-while-
revalidate, single-flight and the JSON helpers live here, so every backend behaves alike.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import struct
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import pydantic_core
from pydantic import TypeAdapter, ValidationError

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], float]

# Each stored value carries its own fresh-until and stale-until times, so every instance agrees on
# freshness without a second key or round trip.
_HEADER = struct.Struct("!cdd")
_FORMAT = b"\x01"
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _decode(type_: type[T], data: bytes, key: str) -> T | None:
    if type_ not in _ADAPTERS:  # building an adapter compiles a validator: once per type
        _ADAPTERS[type_] = TypeAdapter(type_)
    try:
        return cast(T, _ADAPTERS[type_].validate_json(data))
    except ValidationError:
        # Written by a release with another shape for this type (Redis outlives deploys).
        log.warning("cached %r does not fit %r; treating it as a miss", key, type_)
        return None


def _encode(value: object) -> bytes:
    # pydantic writes Decimal as a JSON string, so money comes back exactly, never via float.
    return pydantic_core.to_json(value, by_alias=True)


def _entry(data: bytes | None) -> tuple[float, float, bytes] | None:
    """A stored value's fresh-until and stale-until times, and the value."""
    if data is None or len(data) < _HEADER.size or data[:1] != _FORMAT:
        return None  # absent, or written by something else: a miss either way
    _, fresh_until, stale_until = _HEADER.unpack_from(data)
    return fresh_until, stale_until, data[_HEADER.size :]


def _check_ttls(ttl: float, stale_ttl: float) -> None:
    if ttl <= 0 or stale_ttl < 0:
        raise ValueError(f"ttl must be > 0 and stale_ttl >= 0, got {ttl} and {stale_ttl}")


class Cache(ABC):
    """A byte cache with TTLs, stale-while-revalidate, single-flight and versioned namespaces.

    `clock` (wall-clock seconds) decides freshness. A waiter that finds another instance computing
    a key polls every `poll_interval` for its result, for at most `lock_wait`, then computes too;
    `lock_ttl` bounds how long a crashed instance can hold a key's lock.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        lock_ttl: float = 30.0,
        lock_wait: float = 10.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._clock = clock
        self._lock_ttl = lock_ttl
        self._lock_wait = lock_wait
        self._poll_interval = poll_interval
        self._flights: dict[str, asyncio.Task[bytes]] = {}

    @abstractmethod
    async def _read(self, key: str) -> bytes | None: ...

    async def _read_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """`_read` of each key; a shared backend asks for them all in one round trip."""
        return [await self._read(key) for key in keys]

    @abstractmethod
    async def _write(self, key: str, data: bytes, ttl: float) -> None: ...

    @abstractmethod
    async def _version(self, namespace: str) -> str: ...

    @abstractmethod
    async def delete(self, *keys: str) -> None:
        """Remove `keys`; missing keys are ignored."""

    @abstractmethod
    async def bump(self, namespace: str) -> int:
        """Invalidate every key built by `versioned(namespace, ...)`; return the new version."""

    async def _lock(self, key: str) -> str | None:
        """A token if this process may compute `key`, None while another process is at it."""
        return "local"  # in-process single-flight is all an unshared cache needs

    async def _unlock(self, key: str, token: str) -> None:
        return None

    @asynccontextmanager
    async def only_one(self, name: str) -> AsyncIterator[bool]:
        """Whether this process got `name`'s lock, which every process sharing the cache
        takes in turn (held until the block ends, at most the lock's ttl): True for one of
        them at a time, False for the others meanwhile."""
        token = await self._lock(name)
        try:
            yield token is not None
        finally:
            if token is not None:
                await self._unlock(name, token)

    async def get(self, key: str) -> bytes | None:
        """The value stored under `key` while it is fresh, else None."""
        entry = await self._load(key)
        return entry[2] if entry is not None and self._clock() < entry[0] else None

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """`get` of each of `keys`, in their order, in one round trip to a shared backend."""
        now = self._clock()
        found: list[bytes | None] = []
        for data in await self._read_many(keys):
            entry = _entry(data)
            found.append(entry[2] if entry is not None and now < entry[0] else None)
        return found

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store `value` under `key` for `ttl` seconds."""
        await self._store(key, value, ttl, 0.0)

    async def version(self, namespace: str) -> str | None:
        """The current version of `namespace`; None when a shared backend cannot say (down)."""
        return await self._version(namespace)

    async def versioned(self, namespace: str, key: str) -> str:
        """`key` inside the current version of `namespace`, e.g. ``catalog:v3:services``."""
        return f"{namespace}:v{await self._version(namespace)}:{key}"

    async def get_or_compute(
        self,
        key: str,
        compute: Callable[[], Awaitable[bytes]],
        *,
        ttl: float,
        stale_ttl: float = 0.0,
    ) -> bytes:
        """The cached value, or `compute()`'s result, stored for `ttl` seconds.

        For `stale_ttl` seconds after `ttl` the old value is returned at once while one background
        task refreshes it. Concurrent misses share one `compute()` call (across instances too when
        the backend is shared). A failing `compute()` raises to inline callers and stores nothing.
        """
        _check_ttls(ttl, stale_ttl)
        entry = await self._load(key)
        if entry is not None:
            fresh_until, stale_until, value = entry
            now = self._clock()
            if now < fresh_until:
                return value
            if now < stale_until:
                self._flight(key, compute, ttl, stale_ttl, background=True)
                return value
        # shield: a caller that gives up must not cancel the computation others are awaiting.
        return await asyncio.shield(self._flight(key, compute, ttl, stale_ttl, background=False))

    async def get_model(self, key: str, type_: type[T]) -> T | None:
        """The value under `key` as `type_` (a pydantic model, `list[Model]`, `Decimal`, ...)."""
        data = await self.get(key)
        return None if data is None else _decode(type_, data, key)

    async def get_many_models(self, keys: Sequence[str], type_: type[T]) -> list[T | None]:
        """`get_model` of each of `keys`, in their order, in one round trip (`get_many`)."""
        found = await self.get_many(keys)
        return [
            None if data is None else _decode(type_, data, key)
            for key, data in zip(keys, found, strict=True)
        ]

    async def set_model(self, key: str, value: object, ttl: float) -> None:
        """Store `value` as JSON; Decimals are written as strings, so money round-trips exactly."""
        await self.set(key, _encode(value), ttl)

    async def get_or_compute_model(
        self,
        key: str,
        type_: type[T],
        compute: Callable[[], Awaitable[T]],
        *,
        ttl: float,
        stale_ttl: float = 0.0,
    ) -> T:
        """`get_or_compute` for the values `get_model` and `set_model` handle."""

        async def encoded() -> bytes:
            return _encode(await compute())

        data = await self.get_or_compute(key, encoded, ttl=ttl, stale_ttl=stale_ttl)
        if (value := _decode(type_, data, key)) is not None:
            return value
        value = await compute()
        await self._store(key, _encode(value), ttl, stale_ttl)
        return value

    async def aclose(self) -> None:
        """Cancel background refreshes and release resources."""
        flights = list(self._flights.values())
        for task in flights:
            task.cancel()
        await asyncio.gather(*flights, return_exceptions=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _load(self, key: str) -> tuple[float, float, bytes] | None:
        return _entry(await self._read(key))

    async def _store(self, key: str, value: bytes, ttl: float, stale_ttl: float) -> None:
        _check_ttls(ttl, stale_ttl)
        now = self._clock()
        header = _HEADER.pack(_FORMAT, now + ttl, now + ttl + stale_ttl)
        await self._write(key, header + value, ttl + stale_ttl)

    def _flight(
        self,
        key: str,
        compute: Callable[[], Awaitable[bytes]],
        ttl: float,
        stale_ttl: float,
        *,
        background: bool,
    ) -> asyncio.Task[bytes]:
        task = self._flights.get(key)
        if task is None:
            task = asyncio.create_task(self._fill(key, compute, ttl, stale_ttl))
            self._flights[key] = task
            task.add_done_callback(functools.partial(self._landed, key, background))
        return task

    def _landed(self, key: str, background: bool, task: asyncio.Task[bytes]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        # Reading the exception here also keeps asyncio from reporting it as never retrieved.
        exc = None if task.cancelled() else task.exception()
        if exc is not None and background:
            log.warning(
                "background refresh of %r failed; keeping the stale value", key, exc_info=exc
            )

    async def _fill(
        self, key: str, compute: Callable[[], Awaitable[bytes]], ttl: float, stale_ttl: float
    ) -> bytes:
        deadline = time.monotonic() + self._lock_wait
        token = await self._lock(key)
        while token is None and time.monotonic() < deadline:
            # Another instance is computing this key; its result spares the provider a call.
            await asyncio.sleep(self._poll_interval)
            if (value := await self.get(key)) is not None:
                return value
            token = await self._lock(key)
        try:
            # The holder before us may have stored the value just before releasing the lock.
            if token is not None and (value := await self.get(key)) is not None:
                return value
            value = await compute()
            await self._store(key, value, ttl, stale_ttl)
            return value
        finally:
            if token is not None:
                await self._unlock(key, token)
