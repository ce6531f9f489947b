"""Members a panel refused a drip-feed for lately, though their listing did not say.

Most panels (Rizvi's among them) list no ``dripfeed`` flag, so a drip-feed is sent to them on
trust; a member that refuses one (`gateway.orders.drip.refused_drip`) is noted here and left
out of drip-feed quotes, as lacking it, for a while (`REMEMBER`), so the gateway runs the next
drip-feeds of its group itself without asking the panel again. Kept per process: another
process asks once itself; after `REMEMBER` the panel is asked again, in case it started
offering drip-feed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from gateway.catalog import OfferKey

REMEMBER = 6 * 3600.0
"""Seconds a refusal is remembered."""


class DripRefusals:
    """(provider, provider service id) pairs that refused a drip-feed, each until it expires."""

    def __init__(
        self, remember: float = REMEMBER, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._remember = remember
        self._clock = clock
        self._until: dict[OfferKey, float] = {}
        self._known: frozenset[OfferKey] = frozenset()
        self._next_expiry = float("inf")

    def note(self, offers: Iterable[OfferKey]) -> None:
        """Remember that `offers` refused a drip-feed just now."""
        until = self._clock() + self._remember
        for offer in offers:
            self._until[offer] = until
        self._refresh()

    def known(self) -> frozenset[OfferKey]:
        """The offers that refused a drip-feed within `REMEMBER`."""
        if self._clock() >= self._next_expiry:
            now = self._clock()
            self._until = {k: t for k, t in self._until.items() if t > now}
            self._refresh()
        return self._known

    def _refresh(self) -> None:
        self._known = frozenset(self._until)
        self._next_expiry = min(self._until.values(), default=float("inf"))
