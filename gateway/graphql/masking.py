"""Unexpected errors reach the client as a generic error with a request id, and the log in full;
expected ones reach it without the long values their messages would repeat (`shorten_echoes`).

::

    schema = strawberry.Schema(Query, extensions=[MaskUnexpectedErrors])
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from gateway.graphql.errors import INTERNAL, is_expected, shorten_echoes

log = logging.getLogger(__name__)


class MaskUnexpectedErrors(MaskErrors):
    """`MaskErrors` that keeps expected errors (their echoes of the caller's values shortened),
    and logs what it hides with the request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            # In place: the error keeps its class, path, locations and extensions.
            error.message = shorten_echoes(error.message)
        return processed

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = str(getattr(self.execution_context.context, "request_id", "-"))
        original = error.original_error
        log.error(
            "GraphQL request %s failed at %s: %r",
            request_id,
            ".".join(map(str, error.path or ())) or "-",
            original,
            exc_info=original,
        )
        return GraphQLError(
            message=f"Internal server error (request id {request_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": INTERNAL, "requestId": request_id},
        )
