"""The compiled executor checked against the normal one, for the tests.

With ``SMMGW_GRAPHQL_COMPARE=1`` the schema runs `ComparingExecutionContext`: every query is
completed by the compiled executor, then again by graphql-core's (`YieldingExecutionContext`),
and the two answers are compared as JSON text (the order of keys included). A difference is
logged and kept in `MISMATCHES`; the tests fail on it.

The root fields' resolvers run once: the second execution is given the values (or errors) the
first one's resolvers returned, so that answers which depend on the time they are made (a
cooldown's seconds left) are the same data completed twice.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from typing import Any

from graphql import MiddlewareManager, OperationType

from gateway.graphql.compiled import CompiledExecutionContext, is_compiled
from gateway.graphql.yielding import YieldingExecutionContext

COMPARE_ENV = "SMMGW_GRAPHQL_COMPARE"
"""Set to 1 to execute every query twice (compiled and normal) and record differences."""
MISMATCHES: list[str] = []
"""Operations whose compiled answer differed from the normal executor's."""
COMPARED: list[str] = []
"""Operations compared that completed at least one field the compiled way."""

log = logging.getLogger(__name__)


def compare_mode() -> bool:
    return os.environ.get(COMPARE_ENV) == "1"


def _text(value: Any) -> str:
    return json.dumps(value, default=repr)


class _Roots:
    """Root field resolutions, recorded by the first execution and replayed to the second."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[bool, Any]] = {}
        self.replay = False

    def resolve(self, next_: Any, root: Any, info: Any, **args: Any) -> Any:
        if info.path.prev is not None:
            return next_(root, info, **args)
        key = str(info.path.key)
        if self.replay and key in self.found:
            ok, value = self.found[key]
            if not ok:
                raise value
            return value
        try:
            value = next_(root, info, **args)
        except Exception as error:
            self.found[key] = (False, error)
            raise
        if info.is_awaitable(value):
            return self._awaited(key, value)
        self.found[key] = (True, value)
        return value

    async def _awaited(self, key: str, value: Any) -> Any:
        try:
            done = await value
        except Exception as error:
            self.found[key] = (False, error)
            raise
        self.found[key] = (True, done)
        return done


class ComparingExecutionContext(CompiledExecutionContext):
    """`CompiledExecutionContext` whose queries are executed again the normal way and compared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._twin: YieldingExecutionContext | None = None
        self._roots: _Roots | None = None

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(YieldingExecutionContext.build).bind(*args, **kwargs)
        given = bound.arguments.get("middleware")
        own = list(given.middlewares) if isinstance(given, MiddlewareManager) else []
        if given is not None and not isinstance(given, MiddlewareManager):
            own = list(given)
        roots = _Roots()
        bound.arguments["middleware"] = MiddlewareManager(*own, roots)
        built = super().build(*bound.args, **bound.kwargs)
        if isinstance(built, ComparingExecutionContext):
            built._fast = not own  # the recorder is no resolve hook of the schema's
            built._roots = roots
            twin = YieldingExecutionContext.build(*bound.args, **bound.kwargs)
            if isinstance(twin, YieldingExecutionContext):
                built._twin = twin
        return built

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        if self._twin is None or self.operation.operation is not OperationType.QUERY:
            return result
        if self.is_awaitable(result):
            return self._compared(result)
        expected = self._expected()
        if self.is_awaitable(expected):
            return self._compared(result, expected)
        self._compare(result, expected)
        return result

    def _expected(self) -> Any:
        assert self._twin is not None
        assert self._roots is not None
        self._roots.replay = True
        return self._twin.execute_operation()

    async def _compared(self, result: Any, expected: Any = None) -> Any:
        if self.is_awaitable(result):
            result = await result
        if expected is None:
            expected = self._expected()
        if self.is_awaitable(expected):
            expected = await expected
        self._compare(result, expected)
        return result

    def _compare(self, result: Any, expected: Any) -> None:
        name = self.operation.name.value if self.operation.name else "anonymous"
        if is_compiled(self):
            COMPARED.append(name)
        if _text(result.formatted) != _text(expected.formatted):
            MISMATCHES.append(f"{name}: compiled {result.formatted!r} != {expected.formatted!r}")
            log.error("compiled execution of %s differs from the normal executor's", name)
