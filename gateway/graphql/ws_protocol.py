"""graphql-transport-ws as the gateway speaks it: Strawberry's handler, with every message a
client sends checked against the protocol before it is acted on.

Strawberry takes a message's shape on trust: a frame that is JSON but no object, a ``subscribe``
whose payload is no object, whose query is no string, whose variables are no object, fails
inside it (an unhandled exception that drops the socket without a close frame, or one logged
from the operation's task while the client only sees ``complete``), and an id that is no string
is echoed back as it came. The protocol says a server closes the socket with 4400 on an invalid
message, as it does here for a frame that is no JSON at all; every malformed message gets that,
with the reason in the close frame, before Strawberry sees it.
"""

from __future__ import annotations

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from gateway.graphql.context import Context

_OPTIONAL = {"variables": dict, "operationName": str, "extensions": dict}
"""The optional members of a ``subscribe`` payload, by the type each has when not null."""


def invalid_message(message: object) -> str | None:
    """Why `message` (a decoded frame) is no valid client message of graphql-transport-ws, or
    None when it is one (an unknown type is left to Strawberry, which refuses it in turn)."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message must have a string type"
    if kind in ("subscribe", "complete"):
        op_id = message.get("id")
        if not isinstance(op_id, str) or not op_id:
            return f"a {kind} message must have a non-empty string id"
    payload = message.get("payload")
    if kind in ("ping", "pong") and payload is not None and not isinstance(payload, dict):
        return f"the payload of a {kind} message must be an object"
    if kind != "subscribe":
        return None
    if not isinstance(payload, dict):
        return "the payload of a subscribe message must be an object"
    if not isinstance(payload.get("query"), str):
        return "the query of a subscribe message must be a string"
    for name, wanted in _OPTIONAL.items():
        value = payload.get(name)
        if value is not None and not isinstance(value, wanted):
            what = "a string" if wanted is str else "an object"
            return f"the {name} of a subscribe message must be {what} or null"
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, refusing malformed messages with 4400."""

    async def handle_message(self, message: Message) -> None:
        reason = invalid_message(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        await super().handle_message(message)
