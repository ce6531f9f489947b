"""The parts of a client account's split order over GraphQL: they carry the wholesale cost and
none of the client's columns, so the client reads and acts on the whole order only (a part is
an unknown order to it), while operators still reach every part, which names its client order
and shows no price of its own. The real app on loopback, on
SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from gateway.accounts.pricing import PriceList
from gateway.core import Gateway
from gateway.routing import Need
from gateway.store import OrderRow
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio, shared_group

ORDER = """query($id: Int!) { order(id: $id) {
  id parentId status cost { amount currency } charge { amount currency } } }"""
REFILL = """mutation($ids: [Int!]!) { refillOrders(ids: $ids) { results { __typename
  ... on NotFoundError { id } ... on RefillRequested { order { id cost { amount } } }
  ... on ActionRefusedError { order { id cost { amount } } } } } }"""
CANCEL = """mutation($ids: [Int!]!) { cancelOrders(ids: $ids) { results { __typename
  ... on NotFoundError { id } ... on CancelRequested { order { id cost { amount } } }
  ... on ActionRefusedError { order { id cost { amount } } } } } }"""


async def split_for_account(gw: Gateway) -> tuple[str, OrderRow, list[OrderRow]]:
    """A key of account ``shop`` and a split order of it, with its parts."""
    prices = PriceList(markup_percent=Decimal(20)).model_dump(mode="json")
    shop = await gw.store.create_account("shop", currency=gw.base_currency, price_list=prices)
    await gw.store.top_up(shop.id, Decimal(1_000_000), reason="test funds")
    _, key = await gw.store.create_api_key("shop-key", "shop", ["order"], account_id=shop.id)
    account = await gw.store.account_by_id(shop.id)
    group = await shared_group(gw, refill=True, cancel=True)
    total = max(m.service.max for m in group.members) + 2000
    fields = {"link": "https://instagram.com/p/gqlparts", "quantity": total}
    needs = frozenset({Need.REFILL, Need.CANCEL})
    parent = await gw.place("shop", group.id, fields, needs=needs, account=account)
    children = (await gw.store.children_of([parent.id]))[parent.id]
    assert len(children) >= 2
    return key, parent, children


async def test_an_account_never_reads_a_part_of_its_split_order(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    key, parent, children = await split_for_account(gw)
    shop = api(key)
    whole = (await shop.data(ORDER, {"id": parent.id}))["order"]
    assert Decimal(whole["cost"]["amount"]) == parent.client_price
    for child in children:
        assert child.client_price is None, "a part carries the wholesale cost only"
        assert (await shop.data(ORDER, {"id": child.id}))["order"] is None
        seen = (await api(keys.admin).data(ORDER, {"id": child.id}))["order"]
        assert seen is not None, "operators still read the parts"
        # The client pays at its whole order: a part's wholesale quote is no price of its own.
        assert (seen["parentId"], seen["cost"]) == (parent.id, None)
    assert (await api(keys.admin).data(ORDER, {"id": parent.id}))["order"]["parentId"] is None
    assert await gw.store.ledger_problems() == []


async def test_an_account_never_refills_or_cancels_a_part_of_its_split_order(
    api: ApiFactory, gw: Gateway, trio: Trio
) -> None:
    key, parent, children = await split_for_account(gw)
    shop = api(key)
    ids = [c.id for c in children]
    refilled = (await shop.data(REFILL, {"ids": ids}))["refillOrders"]["results"]
    assert refilled == [{"__typename": "NotFoundError", "id": i} for i in ids]
    canceled = (await shop.data(CANCEL, {"ids": ids}))["cancelOrders"]["results"]
    assert canceled == [{"__typename": "NotFoundError", "id": i} for i in ids]
    assert sum(trio.calls("refill").values()) == sum(trio.calls("cancel").values()) == 0
    # The whole order is the client's to cancel: it reaches every part.
    [whole] = (await shop.data(CANCEL, {"ids": [parent.id]}))["cancelOrders"]["results"]
    assert whole["__typename"] == "CancelRequested", whole
    assert Decimal(whole["order"]["cost"]["amount"]) == parent.client_price
    assert sum(trio.calls("cancel").values()) == len(children)
    assert await gw.store.ledger_problems() == []
