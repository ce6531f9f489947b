"""The plans of the compiled executor (`gateway.graphql.compiled`): for each selected field of an
object type, the step that completes it, worked out once per selection.

A step is ``SLOW`` (graphql-core's `execute_field`), ``TYPENAME``, ``LEAF`` (an attribute or a
context-only resolver, coerced by its type) or ``OBJECT`` (an attribute whose selection is
completed directly); see the executor's docstring for when each applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)
from graphql.execution.collect_fields import FieldDetails
from strawberry.permission import PermissionExtension

from gateway.graphql.permissions import RequireRead

FastResolver = Callable[[Any, Any], Any]
"""``(source, context) -> value``: a resolver that needs nothing of `info` but the context."""
FAST_RESOLVERS: dict[tuple[str, str], FastResolver] = {}
"""Context-only resolvers by (type, field), registered by the modules that define them."""


SLOW, TYPENAME, LEAF, OBJECT = range(4)
FieldDetailsList = list[FieldDetails]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    details: FieldDetailsList
    kind: int
    attribute: str = ""
    resolver: FastResolver | None = None
    scopes: frozenset[Any] = frozenset()
    """Scopes the caller must hold (else the normal path raises the permission's error)."""
    return_type: Any = None
    named: Any = None
    """The leaf or object type below the field's non-null wrapper."""
    nullable: bool = True
    members: Mapping[Any, Any] | None = None
    """For an enum of Python members: each member's output, as the type's coercion gives it."""


@dataclass(frozen=True, slots=True)
class Plan:
    steps: list[Step]
    fast: bool
    """No step needs the normal path: the selection can be completed inline."""


def permission_scopes(extensions: list[Any]) -> tuple[Any, ...] | None:
    """The scopes the field's extensions require, when they are only plain scope checks."""
    scopes: list[Any] = []
    for extension in extensions:
        if not isinstance(extension, PermissionExtension) or extension.fail_silently:
            return None
        for permission in extension.permissions:
            scope = getattr(type(permission), "scope", None)
            if scope is None or type(permission).has_permission is not RequireRead.has_permission:
                return None
            scopes.append(scope)
    return tuple(scopes)


_MEMBERS: WeakKeyDictionary[GraphQLEnumType, Mapping[Any, Any] | None] = WeakKeyDictionary()


def members_of(enum: GraphQLEnumType, wrapped: type) -> Mapping[Any, Any] | None:
    """Each member of `wrapped` and its output through `enum` (None when one is refused)."""
    if enum not in _MEMBERS:
        try:
            _MEMBERS[enum] = {member: enum.coerce_output_value(member) for member in wrapped}  # type: ignore[attr-defined]
        except Exception:
            _MEMBERS[enum] = None
    return _MEMBERS[enum]


def step_of(parent: GraphQLObjectType, name: str, details: FieldDetailsList, schema: Any) -> Step:
    slow = Step(name, details, SLOW)
    if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
        return slow
    node = details[0].node
    field_name = node.name.value
    if field_name == "__typename":
        return Step(name, details, TYPENAME)
    field_def = schema.get_field(parent, field_name)
    if field_def is None or field_def.args or node.arguments:
        return slow
    definition = field_def.extensions.get("strawberry-definition")
    if definition is None:
        return slow
    resolver: FastResolver | None = None
    scopes: frozenset[Any] = frozenset()
    if definition.extensions:
        # Strawberry marks such a field's resolver as its default one all the same.
        found = permission_scopes(list(definition.extensions))
        if found is None or definition.base_resolver is not None:
            return slow
        scopes = frozenset(found)
    elif (parent.name, field_name) in FAST_RESOLVERS:
        resolver = FAST_RESOLVERS[(parent.name, field_name)]
    elif not getattr(field_def.resolve, "_is_default", False):
        return slow
    if resolver is None and definition.default_resolver is not getattr:
        return slow
    return_type: GraphQLOutputType = field_def.type
    nullable = not isinstance(return_type, GraphQLNonNull)
    named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        kind = LEAF
    elif isinstance(named, GraphQLObjectType) and named.is_type_of is None:
        kind = OBJECT
    else:
        return slow
    members = None
    wrapped = getattr(named, "wrapped_cls", None)
    if isinstance(named, GraphQLEnumType) and isinstance(wrapped, type):
        # Strawberry's enum coercion scans every value per call; the answers are fixed.
        members = members_of(named, wrapped)
    return Step(
        name, details, kind, definition.python_name, resolver, scopes, return_type, named,
        nullable, members,
    )  # fmt: skip
