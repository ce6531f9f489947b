"""A cursor is taken only as the gateway makes it: a list's own kind and a position or id in
plain digits that a ledger id can hold; anything else is BAD_USER_INPUT, never a page from
somewhere else in the list or an internal error."""

from __future__ import annotations

import base64

import pytest

from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory

SERVICES = """
query($after: String) {
  services(first: 2, after: $after) { edges { cursor node { id } } }
}
"""

ORDERS = """
query($after: String) {
  orders(first: 2, after: $after) { edges { cursor node { id } } }
}
"""

PRICES = """
query($after: String) {
  priceChanges(first: 2, after: $after) { edges { cursor } }
}
"""

NOT_MADE = ["-5", "+3", " 3", "٣", "99999999999999999999999", "9223372036854775808", ""]


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("value", NOT_MADE)
async def test_a_cursor_the_gateway_never_made_is_refused(
    api: ApiFactory, keys: Keys, value: str
) -> None:
    ops = api(keys.admin)
    for query, kind in ((SERVICES, "svc"), (ORDERS, "order"), (PRICES, "price")):
        answer = await ops.execute(query, {"after": _cursor(f"{kind}:{value}")})
        assert answer["data"] is None, (kind, value, answer)
        error = answer["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
        assert error["message"] == "after is not a cursor of this list"


async def test_the_largest_id_a_cursor_holds_reads_as_an_id(api: ApiFactory, keys: Keys) -> None:
    data = await api(keys.admin).data(ORDERS, {"after": _cursor("order:9223372036854775807")})
    assert data["orders"]["edges"] == []


async def test_a_cursor_the_gateway_made_still_continues_the_list(
    api: ApiFactory, keys: Keys
) -> None:
    reader = api(keys.reader)
    first = (await reader.data(SERVICES, {"after": None}))["services"]["edges"]
    second = (await reader.data(SERVICES, {"after": first[0]["cursor"]}))["services"]["edges"]
    assert second[0] == first[1]
