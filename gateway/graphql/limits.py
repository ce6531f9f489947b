"""Shape limits every operation runs under, introspection included, and what callers without a
key may learn of the schema.

::

    schema = strawberry.Schema(
        Query, extensions=[lambda: AddValidationRules([depth_limit(12)]), KeylessCallers]
    )
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

UNWRAP = "ofType"
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def depth_limit(max_depth: int) -> type[ASTValidationRule]:
    """A rule refusing operations nested deeper than `max_depth` (root fields are at depth 0),
    counting every field: introspection's ``__schema { types { fields { type ...`` too. Only
    ``ofType`` adds no depth: it unwraps a type reference (``[Int!]!`` is three deep), and the
    standard introspection query that IDEs send nests it nine times."""

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            name = node.name.value if node.name else "anonymous"
            fine: set[tuple[str, int]] = set()
            if _deepest(node.selection_set, 0, self.fragments, frozenset(), max_depth, fine):
                self.report_error(
                    GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node)
                )

    return DepthLimit


def _deepest(
    selection_set: SelectionSetNode,
    depth: int,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
    max_depth: int,
    fine: set[tuple[str, int]],
) -> bool:
    """Whether a field below `selection_set` (whose fields are at `depth`) is too deep; `fine`
    holds the fragments found not too deep at a depth, each walked once there (a chain of
    fragments each spreading the next twice names 2^depth copies of the last)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if depth > max_depth:
                return True
            below = depth if selection.name.value == UNWRAP else depth + 1
            if selection.selection_set is not None and _deepest(
                selection.selection_set, below, fragments, seen, max_depth, fine
            ):
                return True
            continue
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            # A cycle is refused by validation's own rule; here it only must not recurse forever.
            if fragment is None or name in seen or (name, depth) in fine:
                continue
            if _deepest(fragment.selection_set, depth, fragments, seen | {name}, max_depth, fine):
                return True
            fine.add((name, depth))
        elif isinstance(selection, InlineFragmentNode) and _deepest(
            selection.selection_set, depth, fragments, seen, max_depth, fine
        ):
            return True
    return False


def alias_limit(max_aliases: int) -> type[ASTValidationRule]:
    """A rule refusing documents with more than `max_aliases` aliased fields, in Strawberry's
    words and counting (`strawberry.extensions.MaxAliasesLimiter`: a fragment's aliases count
    each time it is spread), each fragment counted once: Strawberry walks every copy."""

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            count = _Aliases(context.document)
            total = sum(
                count.below(d.selection_set)
                for d in context.document.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if total > max_aliases:
                self.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimit


class _Aliases:
    """Aliased fields below a selection set, through fragments (each counted once)."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.known: dict[str, int] = {}
        self.open: set[str] = set()
        """Fragments being counted: a cycle (refused by validation's own rule) stops here."""

    def below(self, selection_set: SelectionSetNode) -> int:
        found = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found += 1 if selection.alias else 0
                if selection.selection_set is not None:
                    found += self.below(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                found += self.below(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                found += self.fragment(selection.name.value)
        return found

    def fragment(self, name: str) -> int:
        known = self.known.get(name)
        fragment = self.fragments.get(name)
        if known is not None or fragment is None or name in self.open:
            return known or 0
        self.open.add(name)
        known = self.known[name] = self.below(fragment.selection_set)
        self.open.discard(name)
        return known


class KeylessCallers(SchemaExtension):
    """For callers without a valid key: no introspection, and no "Did you mean ...?" in error
    messages (both would map the schema for them)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        keyless = getattr(context, "principal", None) is None
        if keyless:
            rules = self.execution_context.validation_rules
            self.execution_context.validation_rules = (*rules, NoSchemaIntrospectionCustomRule)
        yield
        result = self.execution_context.result
        if not keyless or not isinstance(result, GraphQLExecutionResult | ExecutionResult):
            return
        if result.errors:
            result.errors = [_without_suggestions(e) for e in result.errors]


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions,
        path=error.path, original_error=error.original_error, extensions=error.extensions,
    )  # fmt: skip
