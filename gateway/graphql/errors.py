"""Errors a client may see as GraphQL errors, and which ones are unexpected (and so masked).

Expected failures of a mutation are typed payloads (see `payloads`), not errors. What remains as
an error is a request the schema cannot serve as asked: a missing key or scope (``permissions``),
a bad argument (`BadInput`), or a broken query (parse, validation, limits). Everything else is a
bug or an outage: masked as ``INTERNAL_SERVER_ERROR`` and logged with the request id.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError

BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL_SERVER_ERROR"


class BadInput(GraphQLError):
    """An argument the resolver cannot use; the message is for the client."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        extensions: dict[str, object] = {"code": BAD_USER_INPUT}
        if field is not None:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


def is_expected(error: GraphQLError) -> bool:
    """Whether `error` was meant for the client (else it is masked)."""
    original = error.original_error
    # No original error: graphql-core itself refused the document or the variables.
    return original is None or isinstance(original, GraphQLError | StrawberryInputCoercionError)
