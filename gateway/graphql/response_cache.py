"""A response cache for catalog queries, shared through the gateway's cache.

Only queries whose every top-level field reads the catalog (``services``, ``service``) are
cached, and only answers without errors. The key holds the operation as parsed and printed again
(so whitespace, comments and commas do not matter, while aliases, which shape the answer, do),
its variables as canonical JSON, the operation name, the caller's scopes and, for a client
account's key, the account and its prices (each account sees its own rates); it lives in the
``catalog`` namespace, which a catalog sync bumps, and names the snapshot it was computed from,
so an instance that has not yet seen a sync elsewhere never stores an old answer under the new
version. Hot answers are also kept in a bounded in-process LRU under the same keys. A renamed
alias is another answer and so another key: what keeps such variants from forcing heavy work
cheaply is the cost they are charged when they run (`gateway.graphql.demand`).

A request is keyed from its raw body: what the body says (the printed operation, variables and
name, or that it is not cacheable) is worked out once per distinct body and kept in a small LRU,
so a hit neither decodes the JSON nor looks at the query again; only the caller's part (scopes,
account and prices) is added per request, and for an operator's key (no account) the whole key
is remembered per body and scopes. The key is the same digest `key` computes from the
decoded body.

::

    cache = ResponseCache(ttl=300)
    key = cache.key_of_body(raw, principal, account)  # None: not a catalog query
    stored, hit = await cache.lookup(gw, key)
    ...                                        # on a miss: run the query, then
    await cache.put(gw, stored, answer)
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    parse,
    print_ast,
)

from gateway.account_reads import prices_of
from gateway.auth import Principal, Scope
from gateway.catalog import Snapshot
from gateway.core import Gateway
from gateway.store import AccountRow

CATALOG_FIELDS = frozenset({"services", "service", "__typename"})
NAMESPACE = "catalog"
MAX_QUERY_LENGTH = 20_000
MAX_REMEMBERED_BODY = 32_768
"""Bodies up to this size have their part of the key remembered (so the LRU stays small)."""
_UNKNOWN: Any = object()


@lru_cache(maxsize=256)
def _document(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLSyntaxError:
        return None


@lru_cache(maxsize=256)
def normalised(query: str) -> str | None:
    """The query as graphql-core prints it back: one spelling for every layout of it."""
    document = _document(query)
    return None if document is None else print_ast(document)


def reads_only_catalog(query: str, operation_name: str | None) -> bool:
    """Whether the operation chosen from `query` is a query of catalog fields only."""
    if len(query) > MAX_QUERY_LENGTH:
        return False
    document = _document(query)
    if document is None:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    # A fragment spread at the top could hide any field; such queries are simply not cached.
    return all(
        isinstance(s, FieldNode) and s.name.value in CATALOG_FIELDS and not s.directives
        for s in selections
    )


def _operation_part(body: Any) -> str | None:
    """The body's part of the key material: the operation as printed, its variables and name
    as canonical JSON, without the closing bracket; None when it must not be cached."""
    if not isinstance(body, dict):
        return None
    query = body.get("query")
    variables = body.get("variables")
    operation_name = body.get("operationName")
    if not isinstance(query, str) or not isinstance(operation_name, str | None):
        return None
    if not reads_only_catalog(query, operation_name):
        return None
    material = json.dumps(
        [normalised(query), variables or {}, operation_name], sort_keys=True, separators=(",", ":")
    )
    return material[:-1]


def _digest(part: str | None, principal: Principal, account: AccountRow | None) -> str | None:
    """The key: the digest of the operation's part and the caller's (scopes; for a client
    account's key, the account and the digest of its prices)."""
    if part is None:
        return None
    prices = "null" if account is None else f"[{account.id},{json.dumps(prices_of(account))}]"
    # The same text as one `json.dumps` of the whole list: [query, variables, name, scopes, prices]
    material = f"{part},{_scopes_json(principal.scopes)},{prices}]"
    return hashlib.sha256(material.encode()).hexdigest()


@lru_cache(maxsize=64)
def _scopes_json(scopes: frozenset[Scope]) -> str:
    return json.dumps(sorted(s.value for s in scopes), separators=(",", ":"))


class ResponseCache:
    """Cached JSON answers of catalog queries: a small in-process LRU in front of the shared cache.

    Keys name the snapshot they were computed from, so the local copies can never outlive a
    catalog change either: a new snapshot means new keys, and old ones age out of the LRU.
    """

    def __init__(self, *, ttl: float, local_entries: int = 256) -> None:
        self.ttl = ttl
        self._local_entries = local_entries
        self._local: OrderedDict[str, bytes] = OrderedDict()
        self._prefix: tuple[Snapshot, str] | None = None
        # Raw body -> its part of the key (None: not cacheable) and the whole keys of operator
        # callers by scopes; oldest first, for dropping.
        self._bodies: dict[bytes, tuple[str | None, dict[frozenset[Scope], str | None]]] = {}

    def key(
        self, body: Any, principal: Principal | None, account: AccountRow | None = None
    ) -> str | None:
        """The cache key of a request body for a caller (and its client account, if it has
        one), or None when it must not be cached."""
        if principal is None:
            return None
        return _digest(_operation_part(body), principal, account)

    def key_of_body(
        self, raw: bytes, principal: Principal | None, account: AccountRow | None = None
    ) -> str | None:
        """`key` of the JSON request body `raw` (undecoded): the body's part is worked out once
        per distinct body."""
        if principal is None:
            return None
        known = self._bodies.get(raw)
        if known is None:
            try:
                part = _operation_part(json.loads(raw))
            except (ValueError, RecursionError):  # the view answers it
                part = None
            known = (part, {})
            if len(raw) <= MAX_REMEMBERED_BODY:
                self._bodies[raw] = known
                while len(self._bodies) > self._local_entries:
                    del self._bodies[next(iter(self._bodies))]
        part, operator_keys = known
        if account is not None:  # its prices are the row's as of this request: keyed afresh
            return _digest(part, principal, account)
        # An operator's key depends on the body and the scopes alone: worked out once.
        digest = operator_keys.get(principal.scopes, _UNKNOWN)
        if digest is _UNKNOWN:
            digest = operator_keys[principal.scopes] = _digest(part, principal, None)
        result: str | None = digest
        return result

    async def _namespace(self, gw: Gateway) -> str:
        # The catalog rebuilds its snapshot exactly when it sees a new version, so the
        # versioned prefix is read once per snapshot rather than once per request.
        snapshot = await gw.catalog.snapshot()
        if self._prefix is None or self._prefix[0] is not snapshot:
            stamp = f"graphql:{snapshot.built_at.timestamp():.6f}"
            self._prefix = (snapshot, await gw.cache.versioned(NAMESPACE, stamp))
        return self._prefix[1]

    async def lookup(self, gw: Gateway, key: str) -> tuple[str, bytes | None]:
        """The stored key for `key` (pass it to `put`) and the cached answer, if any.

        The stored key is taken before the query runs, so an answer computed while a sync
        lands is filed under the snapshot it started from, which nobody asks for again.
        """
        stored = f"{await self._namespace(gw)}:{key}"
        found = self._local.get(stored)
        if found is not None:
            self._local.move_to_end(stored)
            return stored, found
        found = await gw.cache.get(stored)
        if found is not None:
            self._remember(stored, found)
        return stored, found

    async def put(self, gw: Gateway, stored_key: str, body: bytes) -> None:
        self._remember(stored_key, body)
        await gw.cache.set(stored_key, body, self.ttl)

    def _remember(self, stored_key: str, body: bytes) -> None:
        self._local[stored_key] = body
        self._local.move_to_end(stored_key)
        while len(self._local) > self._local_entries:
            self._local.popitem(last=False)
