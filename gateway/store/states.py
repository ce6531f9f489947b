"""The states an order row can be in: the gateway's own three, then the panel's normalised ones.

``RECEIVED``: recorded, not yet sent to a provider. ``UNCONFIRMED``: the send's outcome is
ambiguous (the order may exist upstream), so it is never re-sent. ``FAILED``: provably not
placed anywhere (with ``error``). After a provider accepts, the row carries the upstream
``providers.models.OrderState`` values.
"""

from __future__ import annotations

from enum import StrEnum

from providers.models import OrderState


class GatewayState(StrEnum):
    """States that exist before (or instead of) an upstream status."""

    RECEIVED = "RECEIVED"
    UNCONFIRMED = "UNCONFIRMED"
    FAILED = "FAILED"


ALL_STATES: frozenset[str] = frozenset(str(state) for state in (*GatewayState, *OrderState))
FINAL_STATES: frozenset[str] = frozenset(
    {str(GatewayState.FAILED), *(str(state) for state in OrderState if state.final)}
)
"""States that never change again, so a status sync skips them."""


def is_final(state: str) -> bool:
    """Whether an order in `state` is settled."""
    return state in FINAL_STATES
