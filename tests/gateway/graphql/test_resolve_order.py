"""``resolveOrder``: an admin settles an UNCONFIRMED order as placed or not placed; every other
case is a typed payload, and other scopes are refused."""

from __future__ import annotations

from typing import Any

from gateway.core import Gateway
from gateway.store import GatewayState
from providers.simulator import FaultKind
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio
from tests.gateway.unconfirmed import fields, outbox_of, panel_order_id, unconfirmed

RESOLVE = """
mutation($id: Int!, $pid: String, $notPlaced: Boolean! = false, $force: Boolean! = false) {
  resolveOrder(id: $id, providerOrderId: $pid, notPlaced: $notPlaced, force: $force) {
    __typename
    ... on ResolveOrderSuccess { resolvedBy order { id status error history { kind toStatus } } }
    ... on UserError { message code }
    ... on NotFoundError { id }
    ... on NotUnconfirmedError { order { id status } }
    ... on ValidationError { field }
  }
}
"""


async def resolve(api: ApiFactory, key: str, **variables: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (await api(key).data(RESOLVE, variables))["resolveOrder"]
    return answer


async def test_an_admin_resolves_a_placed_order(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    order = await unconfirmed(gw, trio, FaultKind.DROP)
    pid = panel_order_id(trio, order.provider or "")
    answer = await resolve(api, keys.admin, id=order.id, pid=pid)
    assert answer["__typename"] == "ResolveOrderSuccess"
    assert answer["resolvedBy"].startswith("api-key:admin#")
    assert answer["order"]["status"] == "PENDING"
    assert answer["order"]["history"][-1] == {"kind": "resolved", "toStatus": "PENDING"}
    stored = await gw.store.get_order(order.id)
    assert stored.provider_order_id == pid
    announced = await outbox_of(gw, order.id)
    assert announced[-1]["data"]["resolution"]["by"] == answer["resolvedBy"]


async def test_an_admin_resolves_an_order_as_not_placed(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    order = await unconfirmed(gw, trio, FaultKind.HTTP_5XX)
    answer = await resolve(api, keys.admin, id=order.id, notPlaced=True)
    assert answer["__typename"] == "ResolveOrderSuccess"
    assert answer["order"]["status"] == "FAILED"
    assert answer["resolvedBy"] in answer["order"]["error"]
    announced = await outbox_of(gw, order.id)
    assert announced[-1]["type"] == "order.failed"


async def test_what_cannot_be_resolved_is_a_typed_payload(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    service, order_fields = await fields(gw)
    placed = await gw.place("c", service, order_fields)
    refused = await resolve(api, keys.admin, id=placed.id, notPlaced=True)
    assert refused["__typename"] == "NotUnconfirmedError"
    assert refused["code"] == "ORDER_NOT_UNCONFIRMED"
    assert refused["order"] == {"id": placed.id, "status": "PENDING"}

    missing = await resolve(api, keys.admin, id=999_999, notPlaced=True)
    assert (missing["__typename"], missing["id"]) == ("NotFoundError", 999_999)

    order = await unconfirmed(gw, trio, FaultKind.DROP, n=1)
    neither = await resolve(api, keys.admin, id=order.id)
    assert (neither["__typename"], neither["code"]) == ("ValidationError", "INVALID_RESOLUTION")
    both = await resolve(api, keys.admin, id=order.id, pid="1", notPlaced=True)
    assert both["__typename"] == "ValidationError"
    taken = await resolve(api, keys.admin, id=order.id, pid=placed.provider_order_id)
    assert (taken["code"], taken["field"]) == ("PROVIDER_ORDER_IN_USE", "providerOrderId")
    assert (await gw.store.get_order(order.id)).state == GatewayState.UNCONFIRMED
    forced = await resolve(api, keys.admin, id=order.id, pid=placed.provider_order_id, force=True)
    assert forced["__typename"] == "ResolveOrderSuccess"


async def test_only_admin_keys_resolve(
    api: ApiFactory, keys: Keys, gw: Gateway, trio: Trio
) -> None:
    order = await unconfirmed(gw, trio, FaultKind.HTTP_5XX)
    variables = {"id": order.id, "notPlaced": True}
    assert await api(keys.alice).error_codes(RESOLVE, variables) == ["FORBIDDEN"]
    assert await api(None).error_codes(RESOLVE, variables) == ["UNAUTHENTICATED"]
    assert (await gw.store.get_order(order.id)).state == GatewayState.UNCONFIRMED
