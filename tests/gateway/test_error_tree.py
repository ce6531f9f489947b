"""The gateway's error tree, drawn in `gateway.orders.errors`, names every refusal there is."""

from __future__ import annotations

import gateway.accounts.errors
import gateway.orders.errors
import gateway.orders.refill_resolution
import gateway.orders.resolution
import gateway.orders.validation
from gateway.orders.errors import OrderError


def _below(cls: type[OrderError]) -> list[type[OrderError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_below(sub)]
    return found


def test_every_order_error_is_drawn_in_a_tree() -> None:
    drawn = {
        module.__name__: module.__doc__ or ""
        for module in (gateway.orders.errors, gateway.accounts.errors)
    }
    main = drawn["gateway.orders.errors"]
    classes = _below(OrderError)
    assert len(classes) >= 10, "every module that defines one is imported"
    for cls in classes:
        where = drawn.get(cls.__module__, main)
        assert f"── {cls.__name__} " in where, f"{cls.__module__}.{cls.__name__} is not drawn"
    # The accounts' refusals hang under the main tree: it points to where they are drawn.
    assert "AccountRefused" in main
    assert "gateway.accounts.errors" in main
