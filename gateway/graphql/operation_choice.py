"""A document of several operations runs only the one its ``operationName`` names.

The specification's GetOperation: without a name, a document must hold exactly one operation,
else the request fails ("Must provide operation name if query contains multiple operations.").
graphql-core checks that, but never sees the missing name: Strawberry's execution context,
given none, names the document's first operation to the executor (and to every extension that
reads ``operation_name``, the cost limit among them), so ``query A {...} query B {...}`` ran A,
over HTTP and over the WebSocket alike. `OperationChoice` refuses such a document as a
validation error: an error answer over HTTP, an ``error`` message for the operation over
graphql-transport-ws, and nothing executed.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

MULTIPLE_OPERATIONS = "Must provide operation name if query contains multiple operations."
"""graphql-core's words for it (and the reference implementation's)."""


def _several_operations(document: DocumentNode) -> bool:
    found = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            found += 1
            if found > 1:
                return True
    return False


class OperationChoice(SchemaExtension):
    """Refuses a document of several operations when the request names none.

    It comes after `ValidationCache` in the schema's extensions: the document's own validation
    errors (the specification validates before choosing the operation) are set by then, and
    are answered as they are.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # The name the request gave: `operation_name` would be the first operation's.
        named = context._provided_operation_name is not None
        if (
            not named
            and document is not None
            and not context.pre_execution_errors
            and _several_operations(document)
        ):
            context.pre_execution_errors = [GraphQLError(MULTIPLE_OPERATIONS)]
        yield
