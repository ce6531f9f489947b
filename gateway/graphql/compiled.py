"""An executor that completes plain fields without graphql-core's per-field machinery.

graphql-core spends microseconds on every field: a resolve info object, the resolver through
Strawberry's wrapper, the completion of the value by its type. A page of 100 services has about
1,900 fields, nearly all of them attributes of prepared nodes. For each selection of an object
type (one plan per selection and operation, shared by every item of a list) this executor sorts
the selected fields into steps:

- a leaf field read as an attribute (Strawberry's default resolver) or by a known context-only
  function (`FAST_RESOLVERS`), optionally behind scope permissions it checks itself, is read
  and coerced by its type's own `coerce_output_value`;
- an object field read the same way has its selection executed directly (no resolve info);
- ``__typename`` is the type's name;
- everything else (arguments, lists, abstract types, resolvers that need `info`, other
  permissions) goes through graphql-core's `execute_field` as before, so lists still complete
  in slices (`YieldingExecutionContext`).

Whenever a fast step meets anything but a clean value (null where the type forbids it, a value
its type refuses, an exception, a permission not granted) the field is executed again the
normal way, which raises exactly the error the specification's execution raises. Reading an
attribute or calling a context-only function has no side effect, so executing it twice is
harmless. With resolver middleware (a schema extension's ``resolve`` hook) nothing is fast.

`gateway.graphql.compiled_compare` checks it against the normal executor (the tests do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
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
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.permission import PermissionExtension

from gateway.graphql.permissions import RequireRead
from gateway.graphql.yielding import YieldingExecutionContext

FastResolver = Callable[[Any, Any], Any]
"""``(source, context) -> value``: a resolver that needs nothing of `info` but the context."""
FAST_RESOLVERS: dict[tuple[str, str], FastResolver] = {}
"""Context-only resolvers by (type, field), registered by the modules that define them."""


_SLOW, _TYPENAME, _LEAF, _OBJECT = range(4)
_FieldDetailsList = list[FieldDetails]


@dataclass(frozen=True, slots=True)
class _Step:
    name: str
    details: _FieldDetailsList
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
class _Plan:
    steps: list[_Step]
    fast: bool
    """No step needs the normal path: the selection can be completed inline."""


def _permission_scopes(extensions: list[Any]) -> tuple[Any, ...] | None:
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


def _members(enum: GraphQLEnumType, wrapped: type) -> Mapping[Any, Any] | None:
    """Each member of `wrapped` and its output through `enum` (None when one is refused)."""
    if enum not in _MEMBERS:
        try:
            _MEMBERS[enum] = {member: enum.coerce_output_value(member) for member in wrapped}  # type: ignore[attr-defined]
        except Exception:
            _MEMBERS[enum] = None
    return _MEMBERS[enum]


def _step(parent: GraphQLObjectType, name: str, details: _FieldDetailsList, schema: Any) -> _Step:
    slow = _Step(name, details, _SLOW)
    if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
        return slow
    node = details[0].node
    field_name = node.name.value
    if field_name == "__typename":
        return _Step(name, details, _TYPENAME)
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
        found = _permission_scopes(list(definition.extensions))
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
        kind = _LEAF
    elif isinstance(named, GraphQLObjectType) and named.is_type_of is None:
        kind = _OBJECT
    else:
        return slow
    members = None
    wrapped = getattr(named, "wrapped_cls", None)
    if isinstance(named, GraphQLEnumType) and isinstance(wrapped, type):
        # Strawberry's enum coercion scans every value per call; the answers are fixed.
        members = _members(named, wrapped)
    return _Step(
        name, details, kind, definition.python_name, resolver, scopes, return_type, named,
        nullable, members,
    )  # fmt: skip


def is_compiled(context: CompiledExecutionContext) -> bool:
    """Whether `context` completed at least one field the compiled way (for the tests)."""
    return any(step.kind != _SLOW for _, plan in context._plans.values() for step in plan.steps)


class CompiledExecutionContext(YieldingExecutionContext):
    """`YieldingExecutionContext` with plain fields completed directly; see the module."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._fast = manager is None or not manager.middlewares
        self._plans: dict[int, tuple[Mapping[str, Any], _Plan]] = {}

    def _plan(self, parent: GraphQLObjectType, fields: Mapping[str, Any]) -> _Plan:
        found = self._plans.get(id(fields))
        if found is None:
            steps = [_step(parent, name, details, self.schema) for name, details in fields.items()]
            plan = _Plan(steps, all(step.kind != _SLOW for step in steps))
            # The field set is kept with its plan, so that its id is not reused meanwhile.
            found = self._plans[id(fields)] = (fields, plan)
        return found[1]

    def _inline(self, named: GraphQLObjectType, details: Any, value: Any) -> Any:
        """The selection `details` make on `value` (an object of type `named`) completed here,
        when every field of it is plain and clean; else `Undefined` (the normal path then
        completes it)."""
        grouped, deferred, _ = self.collect_subfields(named, details)
        if deferred:
            return Undefined
        plan = self._plan(named, grouped)
        if not plan.fast:
            return Undefined
        context = self.context_value
        completed: dict[str, Any] = {}
        for inner in plan.steps:
            if inner.kind == _TYPENAME:
                completed[inner.name] = named.name
                continue
            found = self._read(inner, value, context)
            if found is Undefined:
                return Undefined
            if inner.kind == _OBJECT and found is not None:
                found = self._inline(inner.named, inner.details, found)
                if found is Undefined:
                    return Undefined
            completed[inner.name] = found
        return completed

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if not self._fast:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        pending: list[str] = []
        is_awaitable = self.is_awaitable
        context = self.context_value
        try:
            for step in self._plan(parent_type, grouped_field_set).steps:
                name = step.name
                kind = step.kind
                if kind == _TYPENAME:
                    results[name] = parent_type.name
                    continue
                if kind != _SLOW:
                    value = self._read(step, source_value, context)
                    if value is not Undefined:
                        if kind == _OBJECT and value is not None:
                            inline = self._inline(step.named, step.details, value)
                            if inline is not Undefined:
                                results[name] = inline
                                continue
                            value = self._object(
                                step, value, Path(path, name, parent_type.name), position_context
                            )
                            if is_awaitable(value):
                                pending.append(name)
                        results[name] = value
                        continue
                value = self.execute_field(
                    parent_type, source_value, step.details, Path(path, name, parent_type.name),
                    position_context,
                )  # fmt: skip
                if value is not Undefined:
                    results[name] = value
                    if is_awaitable(value):
                        pending.append(name)
        except Exception:
            if pending:
                self.settle_in_background([results[name] for name in pending])
            raise
        if not pending:
            return results
        return self._gathered(results, pending)

    async def _gathered(self, results: dict[str, Any], pending: list[str]) -> dict[str, Any]:
        # As graphql-core's execute_fields: every awaitable field awaited, in parallel.
        if len(pending) == 1:
            results[pending[0]] = await results[pending[0]]
            return results
        done = await gather_with_cancel(*(results[name] for name in pending))
        results.update(zip(pending, done, strict=True))
        return results

    @staticmethod
    def _read(step: _Step, source: Any, context: Any) -> Any:
        """The field's completed leaf value or raw object; `Undefined` when only the normal
        path may answer (it then raises the error the field deserves)."""
        try:
            if step.scopes:
                principal = getattr(context, "principal", None)
                # `Principal.can` is membership in its scopes: one subset test for them all.
                if principal is None or not step.scopes <= principal.scopes:
                    return Undefined
            if step.resolver is not None:
                value = step.resolver(source, context)
            else:
                value = getattr(source, step.attribute)
            if value is None:
                return None if step.nullable else Undefined
            if isinstance(value, Exception):
                return Undefined
            if step.kind == _LEAF:
                members = step.members
                if members is not None and type(value) is step.named.wrapped_cls:
                    return members[value]
                value = step.named.coerce_output_value(value)
                if value is None or value is Undefined:
                    return Undefined
            elif isawaitable(value):  # graphql-core awaits it first
                return Undefined
            return value
        except Exception:
            return Undefined

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            self._fast
            and isinstance(named, GraphQLObjectType)
            and named.is_type_of is None
            and item is not None
            and not isinstance(item, Exception)
            and not self.is_awaitable(item)
        ):
            inline = self._inline(named, field_details_list, item)
            if inline is not Undefined:
                complete_results.append(inline)
                return False
        return super().complete_list_item_value(
            item, complete_results, item_type, field_details_list, info, item_path,
            position_context,
        )  # fmt: skip

    def _object(self, step: _Step, value: Any, path: Path, position_context: Any) -> Any:
        """The object field's selection executed on `value`, errors handled as graphql-core's
        `execute_field` handles them."""
        try:
            completed = self.collect_and_execute_subfields(
                step.named, step.details, path, value, position_context
            )
        except Exception as error:
            self.handle_field_error(error, step.return_type, step.details, path)
            return None
        if self.is_awaitable(completed):
            return self._awaited(step, completed, path)
        return completed

    async def _awaited(self, step: _Step, completed: Any, path: Path) -> Any:
        try:
            return await completed
        except Exception as error:
            self.handle_field_error(error, step.return_type, step.details, path)
            return None
