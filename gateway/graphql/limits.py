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
            if _deepest(node.selection_set, 0, self.fragments, frozenset(), max_depth):
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
) -> bool:
    """Whether a field below `selection_set` (whose fields are at `depth`) is too deep."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if depth > max_depth:
                return True
            below = depth if selection.name.value == UNWRAP else depth + 1
            if selection.selection_set is not None and _deepest(
                selection.selection_set, below, fragments, seen, max_depth
            ):
                return True
            continue
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            # A cycle is refused by validation's own rule; here it only must not recurse forever.
            if fragment is None or name in seen:
                continue
            inner, seen_now = fragment.selection_set, seen | {name}
        elif isinstance(selection, InlineFragmentNode):
            inner, seen_now = selection.selection_set, seen
        else:
            continue
        if _deepest(inner, depth, fragments, seen_now, max_depth):
            return True
    return False


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
