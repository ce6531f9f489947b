"""Shared bits of the GraphQL tests: finding a service every panel sells, an order for it."""

from __future__ import annotations

from typing import Any

from gateway.catalog import Group
from tests.gateway.panels import shared_group as shared_group

OPERATOR_SERVICE_FIELDS = "providerCount"
"""Service fields only ops and admin keys may read."""

SERVICE_FIELDS = """
    id name platform metric type refill refillKind refillDays cancel dripFeed min max geo
    rate { amount currency }
"""

OPERATOR_ORDER_FIELDS = "provider charge { amount currency }"
"""Order fields only ops and admin keys may read."""

ORDER_FIELDS = """
    id clientId serviceId status statusRaw link quantity startCount remains error
    cost { amount currency } createdAt updatedAt
"""


def order_input(group: Group, n: int = 0) -> dict[str, Any]:
    """An `OrderInput` every member of `group` accepts."""
    quantity = max(m.service.min for m in group.members)
    return {"serviceId": group.id, "link": f"https://instagram.com/p/{n}", "quantity": quantity}


PLACE = """
mutation Place($input: OrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    __typename
    ... on PlaceOrderSuccess { order { ORDER_FIELDS } }
    ... on UserError { message code }
    ... on NotFoundError { id }
    ... on ValidationError { field }
    ... on NoEligibleProviderError { exclusions { reason message } }
    ... on InsufficientFundsError { failedOrder { id status } exclusions { reason } }
    ... on AmbiguousOrderError { order { id status } }
    ... on PlacementFailedError { order { id status error } }
  }
}
""".replace("ORDER_FIELDS", ORDER_FIELDS)


async def place(api: Any, group: Group, n: int = 0, key: str | None = None) -> dict[str, Any]:
    """Place an order through the API; the ``placeOrder`` payload."""
    data = await api.data(PLACE, {"input": order_input(group, n), "key": key})
    payload: dict[str, Any] = data["placeOrder"]
    return payload
