"""A serving process sets the garbage collector once started (`gateway.heap`): what start-up
built is frozen out of the collector's passes. Apps made without asking (tests start many)
leave the collector as it is."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gateway import heap
from gateway.app import create_app
from gateway.config import Settings
from gateway.core import Gateway


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as this test process had it, given back afterwards."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector")
async def test_a_serving_app_freezes_what_start_up_built(settings: Settings, gw: Gateway) -> None:
    app = create_app(settings, gateway=gw, background=False, settle_heap=True)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        # The gateway, its catalog and the app's context at least: thousands of objects.
        assert frozen > 10_000
        assert gc.get_threshold()[0] == heap.YOUNG
        # What is made afterwards is collected as usual.
        garbage: list[object] = []
        garbage.append(garbage)
        del garbage
        assert gc.collect() >= 1


@pytest.mark.usefixtures("collector")
async def test_an_app_not_asked_to_leaves_the_collector_alone(
    settings: Settings, gw: Gateway
) -> None:
    threshold = gc.get_threshold()
    app = create_app(settings, gateway=gw, background=False)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == threshold
