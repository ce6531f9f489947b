"""placeOrder tells a panel's refusal in the panel's words, never its message key, and a
corrected request may reuse the idempotency key of an order that was never placed."""

from __future__ import annotations

from typing import Any

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio
from tests.gateway.test_idempotency_reuse import DUPLICATE, gamma_group

PLACE = """
mutation ($service: Int!, $link: String!, $quantity: BigInt!, $key: String) {
  placeOrder(input: {serviceId: $service, link: $link, quantity: $quantity},
             idempotencyKey: $key) {
    __typename
    ... on PlaceOrderSuccess { order { id status } }
    ... on UserError { message code }
    ... on PlacementFailedError { order { id status } }
  }
}
"""


async def test_place_order_says_what_the_panel_means_and_a_corrected_retry_places(
    api: ApiFactory, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await gamma_group(gw)
    quantity = str(max(m.service.min for m in group.members))

    async def place(link: str, key: str | None) -> dict[str, Any]:
        variables = {"service": group.id, "link": link, "quantity": quantity, "key": key}
        answer: dict[str, Any] = (await api(keys.alice).data(PLACE, variables))["placeOrder"]
        return answer

    assert (await place("https://instagram.com/someone", None))["__typename"] == "PlaceOrderSuccess"
    refused = await place("https://instagram.com/someone", "cart-42")
    assert refused["__typename"] == "PlacementFailedError"
    assert refused["message"] == DUPLICATE
    assert refused["order"]["status"] == "FAILED"

    corrected = await place("https://instagram.com/someone-else", "cart-42")
    assert corrected["__typename"] == "PlaceOrderSuccess"
    assert corrected["order"]["id"] != refused["order"]["id"]
    assert trio.calls("add")["gamma"] == 3
