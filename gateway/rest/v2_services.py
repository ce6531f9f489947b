"""``/api/v2 action=services`` as bytes: rendered once per catalog and price list, with an ETag.

What a ``services`` answer says depends on three things only: the catalog snapshot, which
providers can take orders now (`v2_shapes.provider_open`: healthy, trusted catalog, not out of
funds) and, for a client account's key, that account's prices. The answer is rendered once for
each combination and kept in this process as bytes, with a strong ETag (a digest of the bytes);
a request that names that ETag in ``If-None-Match`` is answered ``304 Not Modified`` with no
body, whether it came as a GET or, as panel clients send it, a POST (``services`` only reads).

Per client account: an account's answers are filed under its id and the digest of its price
list, margin policy and currency (`price_key`), from its row as read after the request arrived
(`gateway.account_reads`: one read shared by the requests waiting for it, or none when SQLite
proves nothing was committed since the last), so a key never gets another account's bytes and a
price change shows on the next request. Which providers
are open is read at most once a second (``STATES_TTL``, as often as the catalog checks its own
version; one read shared by the requests that find the last one stale), so a provider that
falls over leaves the list within a second.

Kept in process only: rendering takes milliseconds once per catalog version per process, so a
shared copy in Redis would save little and cost a round trip on every hit.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from gateway.account_reads import prices_of
from gateway.catalog import Snapshot
from gateway.rest import v2_accounts as accounts
from gateway.rest.responses import render_json
from gateway.rest.v2_shapes import GroupView, provider_open
from gateway.routing import ProviderState
from gateway.store.rows import AccountRow

if TYPE_CHECKING:
    from gateway.core import Gateway
    from gateway.rest.v2_actions import Call

STATES_TTL = 1.0
MAX_BYTES = 64 * 1024 * 1024
"""What the rendered answers of one process may hold together; the least recent go first."""
MEDIA_TYPE = "application/json"
CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True, slots=True)
class _States:
    until: float
    states: Mapping[str, ProviderState]
    opened: frozenset[str]


@dataclass(frozen=True, slots=True)
class Rendered:
    """An answer's bytes, its ETag, and both as the header values sent with them."""

    body: bytes
    etag: str
    etag_raw: bytes
    length_raw: bytes

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        etag = etag_of(body)
        return cls(body, etag, etag.encode("latin-1"), b"%d" % len(body))

    def matches(self, if_none_match: str | None) -> bool:
        return matches(if_none_match, self.etag)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names `etag` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def service_list(
    snapshot: Snapshot, states: Mapping[str, ProviderState], account: AccountRow | None
) -> list[dict[str, Any]]:
    """The services of `snapshot` that can take orders under `states`, as `account` (None: the
    operator) sees them: the answer of ``action=services``."""
    views = [v for _, g in sorted(snapshot.groups.items()) if (v := GroupView.of(g, states))]
    if account is None:
        return [view.entry() for view in views]
    prices = accounts.price_list(account)
    entries = (accounts.service_entry(v, prices, account.margin_policy) for v in views)
    return [entry for entry in entries if entry is not None]


Key = tuple[int, frozenset[str], tuple[int, str] | None]


class ServicesCache:
    """Rendered ``services`` answers of one process, by snapshot, open providers and prices."""

    def __init__(
        self, *, max_bytes: int = MAX_BYTES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Key, Rendered] = OrderedDict()
        self._size = 0
        self._snapshot: Snapshot | None = None
        self._states: _States | None = None
        self._reading: asyncio.Future[_States] | None = None

    async def _provider_states(self, call: Call) -> _States:
        states = self._states
        if states is not None and states.until > self._clock():
            return states
        # One read for every request that finds the states stale while it is under way.
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read_states(call.gw))
        return await asyncio.shield(self._reading)

    async def _read_states(self, gw: Gateway) -> _States:
        try:
            states = await gw.provider_states()
            opened = frozenset(name for name, state in states.items() if provider_open(state))
            self._states = _States(self._clock() + STATES_TTL, states, opened)
            return self._states
        finally:
            self._reading = None

    async def answer(self, call: Call, account: AccountRow | None) -> Rendered:
        """The rendered answer for `call`'s caller (`account`: its client account, if any)."""
        snapshot = await call.gw.catalog.snapshot()
        if snapshot is not self._snapshot:
            # A new catalog: every answer rendered from the old one is dead.
            self._entries.clear()
            self._size = 0
            self._snapshot = snapshot
        prices = None if account is None else (account.id, prices_of(account))
        # The answer is rendered from the very states its key names: which providers are open
        # is all it reads of them.
        states = await self._provider_states(call)
        key: Key = (id(snapshot), states.opened, prices)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        body = render_json(service_list(snapshot, states.states, account))
        rendered = Rendered.of(body)
        if snapshot is self._snapshot:  # not when a new catalog arrived while rendering
            self._keep(key, rendered)
        return rendered

    def _keep(self, key: Key, rendered: Rendered) -> None:
        if len(rendered.body) > self._max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._size -= len(previous.body)
        self._entries[key] = rendered
        self._size += len(rendered.body)
        while self._size > self._max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped.body)


def services_response(
    rendered: Rendered, if_none_match: str | None, headers: Mapping[str, str]
) -> Response:
    """The answer to send: 304 when the caller has these bytes already, else the bytes."""
    sent = {**headers, "ETag": rendered.etag, "Cache-Control": CACHE_CONTROL}
    if matches(if_none_match, rendered.etag):
        return Response(status_code=304, headers=sent)
    return Response(rendered.body, media_type=MEDIA_TYPE, headers=sent)
