"""Coroutines run side by side that stop together: the first failure stops the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any


async def together(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run `coroutines` side by side; when one fails, stop the others and wait for them to
    stop before raising its error, so that none goes on polling orders the failure hands
    back (which another worker may then claim)."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
