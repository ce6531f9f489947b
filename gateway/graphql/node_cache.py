"""Completed selections kept on the objects they were completed from, for the compiled executor.

A page of the catalog completes the same prepared service nodes again and again: the catalog view
makes one `ServiceNode` per service and catalog snapshot, and it never changes. For the types
registered in `CACHED_NODES`, the compiled executor keeps what it completed for a node on the node
itself, under a key of

- the selection: the field nodes of the (parsed and cached) operation, compared by identity, and
  the object type; only a selection whose completion depends on nothing else of the operation
  qualifies: no directive (``@skip``/``@include`` read variables), no fragment arguments, no
  ``@defer``, anywhere below it;
- the caller's scopes (fields behind a scope are completed only when the caller holds it);
- what the type's registered function gives of the request's context (for a service, the price
  key of a client account's prices: each account sees its own rates).

Only clean completions are kept (every field completed the fast way, as the normal executor would
have); anything else is completed afresh each time. A catalog sync makes a new snapshot and so new
nodes: what was kept for the old ones goes with them. The completed values are shared by every
answer they appear in and must not be changed; nothing downstream of the executor changes them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
)

ContextKey = Callable[[Any], Hashable]
"""What of a request's context a type's fast resolvers read, as a key."""
CACHED_NODES: dict[str, ContextKey] = {}
"""Object types (by name) whose objects are made once per catalog snapshot and never change,
with the part of the context their completion depends on; registered by their modules."""

ATTRIBUTE = "_gateway_completed"
"""Where a node keeps its completed selections."""
PER_NODE = 8
"""Completed selections kept per node (then it starts again): selections, scopes, price lists."""
REMEMBERED_SELECTIONS = 256


class Selection:
    """One selection of one object type, the same object for every request of the operation."""

    __slots__ = ("named", "nodes")

    def __init__(self, named: GraphQLObjectType, nodes: tuple[FieldNode, ...]) -> None:
        self.named = named
        self.nodes = nodes
        """Kept alive with the selection, so that their ids stay theirs."""


_selections: dict[tuple[int, ...], Selection | None] = {}
_holders: dict[tuple[int, ...], tuple[Any, ...]] = {}


def selection_of(
    named: GraphQLObjectType, details: list[Any], fragments: dict[str, Any]
) -> Selection | None:
    """The shared `Selection` for `details` (a field's list of `FieldDetails`) on `named`, or
    None when its completion may depend on the operation's variables."""
    nodes = tuple(d.node for d in details)
    key = (id(named), *map(id, nodes))
    if key in _selections:
        held = _holders[key]
        if held[0] is named and all(a is b for a, b in zip(held[1:], nodes, strict=True)):
            return _selections[key]
    found = None
    plain = all(d.defer_usage is None and not d.fragment_variable_values for d in details)
    if plain and all(_plain(n.selection_set, fragments, set()) for n in nodes):
        found = Selection(named, nodes)
    if len(_selections) >= REMEMBERED_SELECTIONS:
        _selections.clear()
        _holders.clear()
    _selections[key] = found
    _holders[key] = (named, *nodes)
    return found


def _plain(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any], seen: set[str]
) -> bool:
    """Whether nothing below `selection_set` reads a variable or defers: no directives."""
    if selection_set is None:
        return True
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if isinstance(selection, FieldNode | InlineFragmentNode):
            if not _plain(selection.selection_set, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if getattr(selection, "arguments", None):
                return False
            if name in seen:
                continue
            seen.add(name)
            details = fragments.get(name)
            definition = getattr(details, "definition", None)
            if definition is None or definition.directives or definition.variable_definitions:
                return False
            if not _plain(definition.selection_set, fragments, seen):
                return False
        else:
            return False
    return True


def kept(value: Any, key: Hashable) -> Any:
    """What was completed for `value` under `key` (None when nothing was)."""
    store = getattr(value, ATTRIBUTE, None)
    return None if store is None else store.get(key)


def keep(value: Any, key: Hashable, completed: Any) -> None:
    """Keep `completed` for `value` under `key` (nothing when `value` takes no attributes)."""
    store = getattr(value, ATTRIBUTE, None)
    if store is None:
        try:
            setattr(value, ATTRIBUTE, store := {})
        except (AttributeError, TypeError):
            return
    elif len(store) >= PER_NODE:
        store.clear()
    store[key] = completed
