"""A provider's claimed orders, shared by its lanes, with the next claim made ahead of need.

One claim takes a batch for every lane; the lanes take theirs from it. When a lane takes the
last batch of a full claim, the next claim starts at once, beside that lane's call, so the
lanes coming back from their calls find it made (on SQLite a claim waits for the sync's write
in progress, which then overlaps the calls instead of holding them back). A claim that returns
less than a full set makes none ahead: the lanes claim again when they need to. The first claim
that finds nothing due ends the claims (the other lanes do not each ask again).

    claims = Claims(claim, batch=100, limit=400)
    while rows := await claims.take():
        ...
    rest = await claims.close()   # claimed and not taken: to hand back
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from gateway.store import OrderRow

log = logging.getLogger(__name__)


class Claims:
    """The orders claimed for a provider's lanes, `batch` at a time; `limit` a claim."""

    def __init__(
        self, claim: Callable[[], Coroutine[Any, Any, list[OrderRow]]], *, batch: int, limit: int
    ) -> None:
        self._claim = claim
        self.batch = batch
        self.limit = limit
        self._lock = asyncio.Lock()
        self._claimed: list[OrderRow] = []
        self._ahead: asyncio.Task[list[OrderRow]] | None = None
        self._full = False
        self._drained = False
        """A claim found nothing due: the lanes are done."""
        self._closed = False

    async def take(self) -> list[OrderRow]:
        """The next batch of claimed orders; claims more when none are left; [] once a claim
        has found none due."""
        async with self._lock:
            if not self._claimed and not self._closed and not self._drained:
                if self._ahead is not None:
                    # Shielded: a lane cancelled here leaves the claim for `close` to hand back.
                    self._claimed = await asyncio.shield(self._ahead)
                    self._ahead = None
                else:
                    self._claimed = await self._claim()
                self._full = len(self._claimed) >= self.limit
                self._drained = not self._claimed
            rows, self._claimed = self._claimed[: self.batch], self._claimed[self.batch :]
            if rows and not self._claimed and self._full and not self._closed:
                self._ahead = asyncio.create_task(self._claim(), name="status_sync:claim")
            return rows

    async def close(self) -> list[OrderRow]:
        """Stop: no more claims; the orders claimed and not taken (a claim made ahead is
        waited for), for the caller to hand back."""
        self._closed = True
        rest, self._claimed = self._claimed, []
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            done = await asyncio.gather(ahead, return_exceptions=True)
            if isinstance(done[0], list):
                rest += done[0]
            elif not isinstance(done[0], asyncio.CancelledError):
                # Whatever it took (if anything) comes back when its lease runs out.
                log.warning("status sync: a claim made ahead failed: %r", done[0])
        return rest
