"""What the store raises.

StoreError
 ├── OrderNotFound     (also a LookupError)
 └── StaleOrder        the row changed since the caller read it
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on its own account."""


class OrderNotFound(StoreError, LookupError):
    """No order has this id."""

    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class StaleOrder(StoreError):
    """An update expected a version the row no longer has: someone else wrote first."""

    def __init__(self, order_id: int, expected: int, actual: int) -> None:
        super().__init__(f"order {order_id} is at version {actual}, expected {expected}")
        self.order_id = order_id
        self.expected = expected
        self.actual = actual
