"""Drip-feeds refused by members whose listing did not say, and the members that refused.

Most panels (Rizvi's among them) list no ``dripfeed`` flag, so a drip-feed is sent to them on
trust. A drip-feed every member it was sent to refused as one (`refused_drip`) is run by the
gateway instead (`gateway.orders.drip`); the members that refused are noted here and left
out of drip-feed quotes, as lacking it, for a while (`REMEMBER`), so the gateway runs the next
drip-feeds of its group itself without asking the panel again. Kept per process: another
process asks once itself; after `REMEMBER` the panel is asked again, in case it started
offering drip-feed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from gateway.catalog import OfferKey
from gateway.routing import Quote
from gateway.store import OrderRow
from gateway.store.states import GatewayState
from providers.errors import InvalidLink, MissingField, NotSupported

REMEMBER = 6 * 3600.0
"""Seconds a refusal is remembered."""
_REFUSED = NotSupported.__name__
_CLIENT_MISTAKES = {InvalidLink.__name__, MissingField.__name__}


def refused_drip(order: OrderRow, decision: Quote) -> bool:
    """Whether `order`, the drip-feed `decision` was sent as, FAILED unplaced because members
    whose listing did not say refused drip-feed (``NotSupported``: the one thing an ``add`` is
    refused as), the others failing for reasons that prove nothing placed: no client mistake."""
    if not decision.request.dripfeed or order.parent_id is not None or order.plan is not None:
        return False
    if order.state != GatewayState.FAILED or order.provider_order_id is not None:
        return False
    errors = {str(attempt.get("error")) for attempt in order.attempts}
    return _REFUSED in errors and not errors & _CLIENT_MISTAKES


def refusing_offers(order: OrderRow, decision: Quote) -> Iterator[OfferKey]:
    """The members of `decision` that refused `order` as a drip-feed."""
    refused = {a["provider"] for a in order.attempts if a.get("error") == _REFUSED}
    return (c.offer.key for c in decision.candidates if c.offer.provider in refused)


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
        now = self._clock()
        if now >= self._next_expiry:
            self._until = {k: t for k, t in self._until.items() if t > now}
            self._refresh()
        return self._known

    def _refresh(self) -> None:
        self._known = frozenset(self._until)
        self._next_expiry = min(self._until.values(), default=float("inf"))
