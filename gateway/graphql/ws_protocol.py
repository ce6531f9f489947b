"""graphql-transport-ws as the gateway speaks it: Strawberry's handler, with every message a
client sends checked against the protocol before it is acted on, and the connection closed when
the key it authenticated with is revoked.

Strawberry takes a message's shape on trust: a frame that is JSON but no object, a ``subscribe``
whose payload is no object, whose query is no string, whose variables are no object, fails
inside it (an unhandled exception that drops the socket without a close frame, or one logged
from the operation's task while the client only sees ``complete``), and an id that is no string
is echoed back as it came. The protocol says a server closes the socket with 4400 on an invalid
message, as it does here for a frame that is no JSON at all; every malformed message gets that,
with the reason in the close frame, before Strawberry sees it.

A connection authenticates once, so a revoked key would keep its subscriptions for good: the
key is watched (`gateway.key_watch`), and once it is found revoked the connection's operations
end and the connection is closed with 4403 Forbidden, the code it would have been refused with
at ``connection_init``. Closing rather than ending each subscription with an ``error`` message:
graphql-transport-ws authenticates the connection, not its operations, so a connection left
open would still be one the revoked key holds (its client could subscribe again on it). And
clients handle a close in one place for every operation: graphql-ws's client (Apollo's and
urql's links use it) takes 4403 as a close worth retrying, evaluating its connection parameters
again (a new key, where the application has one) and subscribing again, and reports the close
to every subscription once it gives up; an ``error`` message ends one subscription with nothing
that tells the client its connection is done for.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)

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


FORBIDDEN = 4403


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, refusing malformed messages with 4400 and
    closing with 4403 once its key is revoked."""

    _revocation: asyncio.Task[None] | None = None
    """Waits for the connection's key to be revoked (from the ``connection_ack`` on)."""
    _revoked = False

    async def handle_message(self, message: Message) -> None:
        if self._revoked:
            return  # closing: nothing more is done for a revoked key
        reason = invalid_message(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if "payload" in message and message["payload"] is None:
            # The protocol's payload is an object or null (graphql-ws sends null when its
            # connectionParams give none, e.g. a key sent as a header); Strawberry takes only
            # an object or no payload at all, and closed the connection with 4400.
            message = ConnectionInitMessage(type=message["type"])
        await super().handle_connection_init(message)
        principal = self.context.principal
        key_id = None if principal is None else principal.key_id
        if self.connection_acknowledged and self._revocation is None and key_id is not None:
            self._revocation = asyncio.create_task(self._close_when_revoked(key_id))

    async def _close_when_revoked(self, key_id: int) -> None:
        watch = self.context.app.auth.watch
        revoked = watch.watch(key_id)
        try:
            await revoked.wait()
        finally:
            watch.unwatch(key_id, revoked)
        self._revoked = True
        # The operations end first: none sends anything once the connection is closing.
        tasks = [op.task for op in self.operations.values() if op.task is not None]
        for op_id in list(self.operations):
            await self.cleanup_operation(op_id)
        if tasks:
            await asyncio.wait(tasks)
        # The client may have left meanwhile (the close then has no one to reach).
        with suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.close(code=FORBIDDEN, reason="Forbidden: the API key was revoked")

    async def shutdown(self) -> None:
        if self._revocation is not None:
            self._revocation.cancel()
            await asyncio.wait([self._revocation])
        await super().shutdown()
