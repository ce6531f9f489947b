"""Units that drop after an order ends, and refills that restore them.

Drops are a function of the clock, like the rest of an order: nothing runs in the background.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .orders import SimOrder

DROP_PERIOD = 86_400.0
"""Simulated seconds after an order ends over which its drops happen (evenly)."""


def dropped(order: SimOrder, refills_done: Iterable[float | None], now: float) -> int:
    """Units of `order` lost by `now` and not restored.

    Only an order that ran its course drops: `drop_share` of what it delivered, evenly over
    `DROP_PERIOD` after it ended. A refill completed at `t` restores what had dropped by `t`
    (`refills_done` holds the times the order's refills complete, ``None`` for rejected ones).
    """
    if order.drop_share <= 0 or now < order.final_at or order.delivered_at(now) != order.target:
        return 0

    def lost(at: float) -> int:
        elapsed = min(1.0, max(0.0, at - order.final_at) / DROP_PERIOD)
        return math.floor(order.target * order.drop_share * elapsed)

    restored = max((t for t in refills_done if t is not None and t <= now), default=0.0)
    return lost(now) - lost(restored)
