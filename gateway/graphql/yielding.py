"""An execution context that hands the event loop back during long lists.

graphql-core completes the values of synchronous resolvers in one go: a page of 500 services
with their offers is one uninterrupted stretch of Python, during which no other request of the
process is read or answered. Here a long list is completed in a coroutine that yields to the
loop whenever the operation has run `SLICE` seconds since it last did, so other requests get
their turn between slices.

Nested lists run as sibling tasks (graphql-core gathers them), all ready in the same turn of the
loop. So a slice is the operation's, not a task's: once it is spent, every task of the
operation waits at one gate, which opens `REST` seconds later. Between two slices the loop is
free for everything else: a light request needs many turns of the loop (its key, its limit,
its rows), and each of them would otherwise wait behind a slice of heavy work.

::

    strawberry.Schema(Query, execution_context_class=YieldingExecutionContext)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Iterable
from typing import Any

from graphql import GraphQLList, GraphQLOutputType, GraphQLResolveInfo
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

SLICE = 0.002
"""Seconds of uninterrupted work before the loop gets a turn."""
REST = 0.002
"""Seconds the operation then leaves the loop to others: at most half of it goes to one heavy
operation while it runs."""
LONG = 16
"""Lists up to this long are completed in one go, as graphql-core does."""


class YieldingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Completes lists longer than `LONG` in slices of at most about `SLICE` seconds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._since = time.perf_counter()
        self._gate: asyncio.Future[None] | None = None

    def _next_slice(self) -> None:
        gate, self._gate = self._gate, None
        self._since = time.perf_counter()
        if gate is not None and not gate.done():
            gate.set_result(None)

    async def _pause(self) -> None:
        if self._gate is None:
            loop = asyncio.get_running_loop()
            self._gate = loop.create_future()
            loop.call_later(REST, self._next_slice)
        # Shielded: one cancelled request must not cancel the gate its siblings wait at.
        await asyncio.shield(self._gate)

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: AsyncIterable[Any] | Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        if not isinstance(result, list | tuple) or len(result) <= LONG:
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        return self._complete_in_slices(
            return_type.of_type, field_details_list, info, path, result, position_context
        )

    async def _complete_in_slices(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: list[Any] | tuple[Any, ...],
        position_context: Any,
    ) -> list[Any]:
        completed: list[Any] = []
        pending: list[int] = []
        try:
            for index, item in enumerate(items):
                while self._gate is not None or time.perf_counter() - self._since > SLICE:
                    await self._pause()
                item_path = path.add_key(index, None)
                if self.is_awaitable(item):
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path,
                            position_context,
                        )
                    )  # fmt: skip
                    pending.append(index)
                elif self.complete_list_item_value(
                    item, completed, item_type, field_details_list, info, item_path,
                    position_context,
                ):  # fmt: skip
                    pending.append(index)
        except BaseException:
            for index in pending:
                completed[index].close()  # never awaited now: close, do not leak
            raise
        if pending:
            done = await asyncio.gather(*(completed[i] for i in pending))
            for index, value in zip(pending, done, strict=True):
                completed[index] = value
        return completed
