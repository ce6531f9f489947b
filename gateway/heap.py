"""The cyclic garbage collector, set for a long-running server process.

A started gateway holds a few hundred thousand objects that live as long as it does: modules,
the GraphQL schema, pydantic and SQLAlchemy's compiled machinery, the catalog, pooled
connections. Python's collector walks all of them on every full pass, and a pass starts after
enough allocations, wherever it happens to be: in the middle of a status sync of 2,000 orders
one full pass took 0.1 to 0.2 s, a fifth of the sync's time. `settle`, called once start-up is
done, collects what start-up left behind and then freezes the survivors (`gc.freeze`): later
passes no longer walk them. It also lets the youngest generation grow to `YOUNG` objects
before a pass (the default is 700), so the garbage of each request is collected in fewer, still
short passes.

Frozen objects are never freed by the collector, only by reference counting, which frees all
but cycles: what start-up built stays for the process's life anyway. Serving processes call it
(`smm-gateway serve`, `worker`, `demo`); test processes, which start and stop many gateways, do
not.
"""

from __future__ import annotations

import gc

YOUNG = 10_000
"""Allocations (less deallocations) of container objects before the youngest generation is
collected."""


def settle() -> None:
    """Collect start-up's garbage, freeze what is left, and collect the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
