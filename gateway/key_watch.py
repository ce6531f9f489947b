"""Telling what a key keeps open that the key was revoked.

An HTTP request presents its key every time, and the `Authenticator` refuses a revoked one at
once in the process that revoked it (`Authenticator.forget`) and within its ttl elsewhere. A
WebSocket connection presents its key once, at ``connection_init`` (or on the handshake), and
may stay open for days: its key is watched instead. Every key watched in this process is looked
up in one query every `period` (the authentication ttl), and at once when this process revoked
a key, so a connection learns of its key's revocation as soon as a request would.

Nothing of the secret is kept for this: a key is watched by its id.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from gateway.store import Store

log = logging.getLogger(__name__)


class KeyWatch:
    """The keys that open connections of this process authenticated with, looked up together."""

    def __init__(self, store: Store, *, period: float) -> None:
        self.store = store
        self.period = period
        """Seconds between two lookups (a revocation elsewhere is seen within this)."""
        self._watched: dict[int, set[asyncio.Event]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def keys(self) -> int:
        """How many keys are watched now."""
        return len(self._watched)

    def watch(self, key_id: int) -> asyncio.Event:
        """An event set once key `key_id` is found revoked (or gone); `unwatch` it when done."""
        revoked = asyncio.Event()
        self._watched.setdefault(key_id, set()).add(revoked)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="api-key-watch")
        return revoked

    def unwatch(self, key_id: int, revoked: asyncio.Event) -> None:
        """Stop watching for `revoked` (what `watch` gave)."""
        events = self._watched.get(key_id)
        if events is None:
            return
        events.discard(revoked)
        if not events:
            del self._watched[key_id]
            if not self._watched:
                self._wake.set()  # nothing left to watch: the lookups stop now

    def check_now(self) -> None:
        """Look the watched keys up now (a key was revoked in this process)."""
        self._wake.set()

    async def _run(self) -> None:
        while self._watched:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.period)
            # Cleared before the lookup: a revocation during it asks for another one.
            self._wake.clear()
            if not self._watched:
                return
            try:
                revoked = await self.store.inactive_api_keys(list(self._watched))
            except Exception as exc:  # the ledger unreachable: the next period tries again
                log.warning("could not look up the API keys of open connections: %r", exc)
                continue
            for key_id in revoked:
                for event in self._watched.pop(key_id, ()):
                    event.set()
