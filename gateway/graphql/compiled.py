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

Objects made once per catalog snapshot (`CACHED_NODES`: a page's services) keep what was
completed for them, by selection, scopes and prices (`gateway.graphql.node_cache`): the next page
that lists them copies nothing and completes nothing.

`gateway.graphql.compiled_compare` checks it against the normal executor (the tests do).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from inspect import isawaitable
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel

from gateway.graphql.compiled_plan import (
    FAST_RESOLVERS,
    LEAF,
    OBJECT,
    SLOW,
    TYPENAME,
    FastResolver,
    Plan,
    Step,
    step_of,
)
from gateway.graphql.node_cache import CACHED_NODES, keep, kept, selection_of
from gateway.graphql.yielding import YieldingExecutionContext

__all__ = [
    "CACHED_NODES",
    "FAST_RESOLVERS",
    "CompiledExecutionContext",
    "FastResolver",
    "is_compiled",
]


_UNPLANNED: Any = object()


class _Inline:
    """What `_inline` works out once per request and selection."""

    __slots__ = ("details", "key", "plan")

    def __init__(self, details: Any, key: Hashable | None) -> None:
        self.details = details
        """Held, so that its id (the memo's key) stays its own."""
        self.key = key
        self.plan: Plan | None = _UNPLANNED
        """None: not completed inline; made on the first node nothing was kept for."""


def is_compiled(context: CompiledExecutionContext) -> bool:
    """Whether `context` completed at least one field the compiled way (for the tests)."""
    return any(step.kind != SLOW for _, plan in context._plans.values() for step in plan.steps)


class CompiledExecutionContext(YieldingExecutionContext):
    """`YieldingExecutionContext` with plain fields completed directly; see the module."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._fast = manager is None or not manager.middlewares
        self._plans: dict[int, tuple[Mapping[str, Any], Plan]] = {}
        self._inlines: dict[tuple[int, int], _Inline] = {}

    def _plan(self, parent: GraphQLObjectType, fields: Mapping[str, Any]) -> Plan:
        found = self._plans.get(id(fields))
        if found is None:
            steps = [
                step_of(parent, name, details, self.schema) for name, details in fields.items()
            ]
            plan = Plan(steps, all(step.kind != SLOW for step in steps))
            # The field set is kept with its plan, so that its id is not reused meanwhile.
            found = self._plans[id(fields)] = (fields, plan)
        return found[1]

    def _inline(self, named: GraphQLObjectType, details: Any, value: Any) -> Any:
        """The selection `details` make on `value` (an object of type `named`) completed here,
        when every field of it is plain and clean; else `Undefined` (the normal path then
        completes it). For a type in `CACHED_NODES`, what was completed is kept on `value`."""
        found = self._inlines.get((id(named), id(details)))
        if found is None:
            found = _Inline(details, self._kept_under(named, details))
            self._inlines[(id(named), id(details))] = found
        key = found.key
        if key is not None:
            completed = kept(value, key)
            if completed is not None:
                return completed
        plan = found.plan
        if plan is _UNPLANNED:
            grouped, deferred, _ = self.collect_subfields(named, details)
            plan = None if deferred else self._plan(named, grouped)
            plan = found.plan = plan if plan is not None and plan.fast else None
        if plan is None:
            return Undefined
        context = self.context_value
        completed = {}
        for inner in plan.steps:
            if inner.kind == TYPENAME:
                completed[inner.name] = named.name
                continue
            read = self._read(inner, value, context)
            if read is Undefined:
                return Undefined
            if inner.kind == OBJECT and read is not None:
                read = self._inline(inner.named, inner.details, read)
                if read is Undefined:
                    return Undefined
            completed[inner.name] = read
        if key is not None:
            keep(value, key, completed)
        return completed

    def _kept_under(self, named: GraphQLObjectType, details: Any) -> Hashable | None:
        """The key completions of this selection are kept under (None: not kept). A kept one
        was completed by this same plan (same type and fields), so none is made for a hit."""
        context_key = CACHED_NODES.get(named.name)
        if context_key is None:
            return None
        selection = selection_of(named, details, self.fragments)
        if selection is None:
            return None
        principal = getattr(self.context_value, "principal", None)
        scopes = None if principal is None else principal.scopes
        return (selection, scopes, context_key(self.context_value))

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
                if kind == TYPENAME:
                    results[name] = parent_type.name
                    continue
                if kind != SLOW:
                    value = self._read(step, source_value, context)
                    if value is not Undefined:
                        if kind == OBJECT and value is not None:
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
    def _read(step: Step, source: Any, context: Any) -> Any:
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
            if step.kind == LEAF:
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

    def _object(self, step: Step, value: Any, path: Path, position_context: Any) -> Any:
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

    async def _awaited(self, step: Step, completed: Any, path: Path) -> Any:
        try:
            return await completed
        except Exception as error:
            self.handle_field_error(error, step.return_type, step.details, path)
            return None
