"""A periodic job: the one shape every background task takes, in-process or on a queue.

::

    PeriodicJob("webhooks", every=1.0, run=lambda _: dispatcher.deliver_due(100))
    PeriodicJob("status_sync", every=1.0, run=sync.run, partitions=("alpha", "beta"))

A job with `partitions` runs once per partition, each on its own schedule (its own key on the
queue), so one slow provider never holds up another and work spreads over worker processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Run = Callable[[str | None], Awaitable[object]]
"""Runs a job for one partition (``None`` for an unpartitioned job)."""


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """Work to repeat every `every` seconds; a run should finish within `timeout`."""

    name: str
    every: float
    run: Run
    partitions: tuple[str, ...] = ()
    timeout: float = 300.0

    def runs(self) -> list[tuple[str, str | None]]:
        """``(key, partition)`` for every separate run: ``status_sync:alpha``, or the name."""
        if not self.partitions:
            return [(self.name, None)]
        return [(f"{self.name}:{part}", part) for part in self.partitions]
