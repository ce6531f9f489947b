"""The gateway's own API keys: stored hashed, with scopes; a client sees only its own orders.

Client scopes: ``read`` (the unified catalog, prices, its own orders and what they cost it) and
``order`` (also place, refill, cancel). Operator scopes: ``ops`` (read-only dashboards: every
client's orders, and the providers behind the catalog, their balances, health, errors,
wholesale costs and routing candidates) and ``admin`` (everything: also refill and cancel every
client's orders, resolve them, webhooks, keys, accounts, catalog sync).
``order`` implies ``read``; ``ops`` implies ``read``; ``admin`` implies all of them.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from gateway.key_watch import KeyWatch
from gateway.store import ApiKeyRow, Store


class Scope(StrEnum):
    READ = "read"
    ORDER = "order"
    OPS = "ops"
    ADMIN = "admin"


_IMPLIED = {
    Scope.READ: {Scope.READ},
    Scope.ORDER: {Scope.READ, Scope.ORDER},
    Scope.OPS: {Scope.READ, Scope.OPS},
    Scope.ADMIN: {Scope.READ, Scope.ORDER, Scope.OPS, Scope.ADMIN},
}


def parse_scopes(names: Iterable[str]) -> frozenset[Scope]:
    """Scope names as given (``"order"``), expanded to everything they imply."""
    granted: set[Scope] = set()
    for name in names:
        try:
            granted |= _IMPLIED[Scope(name.strip().lower())]
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {name!r}; known scopes: {known}") from None
    return frozenset(granted)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the client whose orders they reach, and what they may do."""

    client_id: str
    scopes: frozenset[Scope]
    key_id: int | None = None
    name: str = ""
    account_id: int | None = None
    """The client account the key belongs to; None for the operator's own keys."""

    @property
    def has_account(self) -> bool:
        return self.account_id is not None

    @property
    def admin(self) -> bool:
        return Scope.ADMIN in self.scopes

    @property
    def operator(self) -> bool:
        """May see the providers behind the catalog (``ops`` or ``admin``)."""
        return Scope.OPS in self.scopes

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def order_owner(self) -> str | None:
        """The client whose orders this caller acts on (refill, cancel); None (every client's)
        for admins."""
        return None if self.admin else self.client_id

    @property
    def read_owner(self) -> str | None:
        """The client whose orders this caller reads; None (every client's) for operators:
        an ``ops`` key reads every order, as an ``admin`` key does."""
        return None if self.operator else self.client_id


class Authenticator:
    """Turns a presented key into a `Principal`, with a short in-process memory.

    A revoked key stops working within `ttl` seconds on every instance, and at once in the
    process that revoked it (`forget`); `watch` tells the connections that presented a key once
    (WebSockets) as soon. Requests presenting a key while it is being looked up share that one
    lookup. Keys are found by the
    SHA-256 of the secret (here and in the store), never by comparing secrets: how long a
    lookup takes can only tell a guesser about a digest, which says nothing of a secret.
    """

    def __init__(
        self,
        store: Store,
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._known: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[ApiKeyRow | None]] = {}
        self._generation = 0
        self.watch = KeyWatch(store, period=ttl)
        """The keys of open connections, looked up every `ttl` and when a key is forgotten."""

    async def authenticate(self, secret: str | None) -> Principal | None:
        """The principal for `secret`, or None for a missing, unknown or revoked key."""
        if not secret or not secret.isprintable() or not secret.isascii():
            return None  # no key of ours looks like this (and a lone surrogate cannot hash)
        now = self._clock()
        # Remember keys by digest: the secrets themselves are never kept, here or in the store.
        digest = hashlib.sha256(secret.encode()).hexdigest()
        remembered = self._known.get(digest)
        if remembered is not None and remembered[0] > now:
            self._known.move_to_end(digest)
            return remembered[1]
        # Requests that present the key while its lookup is under way share that lookup.
        pending = self._pending.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self.store.verify_api_key(secret))
            self._pending[digest] = pending
            pending.add_done_callback(functools.partial(self._settled, digest))
        generation = self._generation
        row = await asyncio.shield(pending)
        principal = None if row is None else principal_of(row)
        if generation != self._generation:
            return principal  # looked up before `forget`: answers this request, kept for none
        self._known[digest] = (now + self._ttl, principal)
        self._known.move_to_end(digest)
        while len(self._known) > self._max:
            self._known.popitem(last=False)
        return principal

    def _settled(self, digest: str, lookup: asyncio.Future[ApiKeyRow | None]) -> None:
        if self._pending.get(digest) is lookup:
            del self._pending[digest]

    def forget(self) -> None:
        """Drop what was remembered (after revoking a key in this process), and have the keys
        of open connections looked up again."""
        self._known.clear()
        self._pending.clear()
        self._generation += 1
        self.watch.check_now()


def principal_of(row: ApiKeyRow) -> Principal:
    return Principal(
        client_id=row.client_id,
        scopes=parse_scopes(row.scopes),
        key_id=row.id,
        name=row.name,
        account_id=row.account_id,
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
