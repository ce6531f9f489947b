"""This process in the fleet: its id, and the heartbeat that says it is still alive.

Every ``serve`` and ``worker`` process heartbeats in the ledger (``instances``: its id and the
moment it stops counting as alive). Claims record their holder's id: an order's status-sync
claim (``orders.claimed_by``) and an idempotency key's claim (``idempotency_keys.instance``).
A claim whose holder's heartbeat expired is taken over at once, so a SIGKILLed process's
work comes back within the heartbeat timeout rather than after a lease or a fixed wait::

    async with Heartbeat(gw.store, "worker", every=2, timeout=10):
        ...   # this process's claims stay its own while it runs

A process that stops cleanly marks itself expired on the way out; one that never heartbeats
(a CLI command) leaves no row, and its claims wait out their usual lease or wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import timedelta
from types import TracebackType
from typing import Self

from gateway.store import Store
from gateway.store.base import Clock, utcnow

log = logging.getLogger(__name__)

FORGET_AFTER = timedelta(days=1)
"""Heartbeats expired this long ago are dropped: no claim still names such a process."""

_ids: dict[int, str] = {}
_beating: dict[str, int] = {}


def instance_id() -> str:
    """This process's id in the fleet: host, pid and a random part (a pid is reused)."""
    pid = os.getpid()  # a forked child is another instance
    if pid not in _ids:
        _ids[pid] = f"{socket.gethostname()[:60]}:{pid}:{secrets.token_hex(4)}"
    return _ids[pid]


def beating_instance() -> str | None:
    """This process's id while a `Heartbeat` runs in it, else ``None``: a claim should name
    only a process whose death others can see (an id without heartbeats never expires)."""
    own = instance_id()
    return own if _beating.get(own) else None


class Heartbeat:
    """Keeps `instance` alive in the ledger every `every` seconds, for `timeout` seconds each.

    A failed beat is logged and retried; the process counts as dead once `timeout` passes
    without one, which is what other processes act on.
    """

    def __init__(
        self,
        store: Store,
        kind: str,
        *,
        every: float,
        timeout: float,
        instance: str | None = None,
        clock: Clock = utcnow,
    ) -> None:
        if timeout <= every:
            raise ValueError("the heartbeat timeout must be longer than the heartbeat")
        self.store = store
        self.kind = kind
        self.every = every
        self.timeout = timedelta(seconds=timeout)
        self.instance = instance or instance_id()
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def beat(self) -> None:
        await self.store.beat(self.instance, self.kind, expires_at=self._clock() + self.timeout)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.beat()
            except Exception as exc:  # the ledger is away: claims may be taken over meanwhile
                if not self._failing:
                    log.warning("heartbeat of %s failed: %s", self.instance, exc)
                self._failing = True
            else:
                if self._failing:
                    log.info("heartbeat of %s recovered", self.instance)
                self._failing = False

    async def start(self) -> None:
        await self.beat()
        _beating[self.instance] = _beating.get(self.instance, 0) + 1
        with contextlib.suppress(Exception):  # housekeeping only
            await self.store.forget_instances(before=self._clock() - FORGET_AFTER)
        self._task = asyncio.create_task(self._run(), name=f"heartbeat:{self.instance}")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        _beating[self.instance] -= 1
        if _beating[self.instance]:
            return  # another part of this process still runs under the same id
        try:
            # Stopped cleanly: whatever it still claims is free at once.
            await self.store.beat(self.instance, self.kind, expires_at=self._clock())
        except Exception as exc:
            log.warning("could not mark %s stopped: %s", self.instance, exc)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
