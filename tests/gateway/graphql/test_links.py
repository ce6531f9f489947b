"""GraphQL refuses what panels would refuse as a typed validation payload naming the field, and
never repeats a huge input or a validator library's sentences."""

from __future__ import annotations

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import order_input, shared_group
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio

PLACE = """mutation($input: OrderInput!) { placeOrder(input: $input) { __typename
  ... on ValidationError { message code field } } }"""
QUOTE = """query($id: Int!, $quantity: BigInt, $link: String) {
  quote(serviceId: $id, quantity: $quantity, link: $link) { __typename
    ... on ValidationError { message code field } } }"""
INCORRECT_LINK = {
    "__typename": "ValidationError", "message": "Incorrect link", "code": "INVALID_LINK",
    "field": "link",
}  # fmt: skip


async def test_bad_links_are_typed_validation_errors(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    alice = api(keys.alice)
    for link in ("javascript:alert(1)", "https://x.com/" + "a" * 60_000, "https://x.com/\x07"):
        given = {**order_input(group), "link": link}
        placed = await alice.data(PLACE, {"input": given})
        assert placed["placeOrder"] == INCORRECT_LINK
        quoted = await alice.data(
            QUOTE, {"id": group.id, "quantity": given["quantity"], "link": link}
        )
        assert quoted["quote"] == INCORRECT_LINK
    assert sum(sim.panel.order_count for sim in trio.sims.values()) == 0


async def test_a_huge_number_is_not_repeated(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    group = await shared_group(gw)
    digits = "9" * 5000
    given = {"input": {**order_input(group), "quantity": digits}}
    answer = await api(keys.alice).post(PLACE, given)
    [error] = answer.json()["errors"]
    assert "not a whole number of at most 40 digits" in error["message"]
    # graphql-core names the variable with at most 240 characters of its value; ours add none.
    assert digits[:300] not in answer.text
    assert len(answer.text) < 1000
