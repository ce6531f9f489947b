"""Keys and scopes: every field needs a key, ordering needs ``order``, catalog sync ``admin``."""

from __future__ import annotations

import pytest

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import PLACE, order_input, shared_group
from tests.gateway.graphql.server import ApiFactory
from tests.gateway.panels import Trio

READS = [
    "{ viewer { clientId } }",
    "{ services { totalCount } }",
    "{ service(id: 1) { id } }",
    "{ orders { edges { cursor } } }",
    "{ order(id: 1) { id } }",
    '{ quote(serviceId: 1, quantity: 10, link: "x") { __typename } }',
]
OPERATOR_READS = [
    "{ balances { total { amount } } }",
    "{ providers { name } }",
    "{ priceChanges { edges { cursor } } }",
]


@pytest.mark.parametrize("query", READS)
async def test_every_field_needs_a_key(api: ApiFactory, keys: Keys, query: str) -> None:
    assert await api(None).error_codes(query) == ["UNAUTHENTICATED"]
    assert await api("smmgw_not-a-key").error_codes(query) == ["UNAUTHENTICATED"]
    assert await api(keys.reader).error_codes(query) == []


@pytest.mark.parametrize("query", OPERATOR_READS)
async def test_operator_fields_need_an_operator_key(
    api: ApiFactory, keys: Keys, query: str
) -> None:
    assert await api(None).error_codes(query) == ["UNAUTHENTICATED"]
    for client in (keys.reader, keys.alice):
        assert await api(client).error_codes(query) == ["FORBIDDEN"]
    assert await api(keys.ops).error_codes(query) == []
    assert await api(keys.admin).error_codes(query) == []


async def test_scopes_are_enforced_per_field(api: ApiFactory, keys: Keys, gw: Gateway) -> None:
    group = await shared_group(gw)
    place = {"input": order_input(group)}
    answer = await api(keys.reader).execute(PLACE, place)
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "order"}
    assert error["message"] == "this API key lacks the 'order' scope"
    for mutation in ("refillOrders(ids: [1])", "cancelOrders(ids: [1])"):
        query = "mutation { " + mutation + " { results { __typename } } }"
        assert await api(keys.reader).error_codes(query) == ["FORBIDDEN"]
    sync = "mutation { syncCatalog { serviceCount } }"
    assert await api(keys.alice).error_codes(sync) == ["FORBIDDEN"]
    assert await api(keys.admin).error_codes(sync) == []
    assert await api(keys.alice).error_codes(PLACE, place) == []
    viewer = await api(keys.admin).data("{ viewer { clientId scopes keyName } }")
    assert viewer["viewer"] == {
        "clientId": "ops",
        "scopes": ["admin", "ops", "order", "read"],
        "keyName": "admin",
    }


async def test_a_revoked_key_stops_working(api: ApiFactory, gw: Gateway) -> None:
    row, secret = await gw.store.create_api_key("temp", "client-z", ["read"])
    await gw.store.revoke_api_key(row.id)
    assert await api(secret).error_codes("{ viewer { clientId } }") == ["UNAUTHENTICATED"]


async def test_no_provider_key_ever_appears(api: ApiFactory, keys: Keys, trio: Trio) -> None:
    everything = """{ providers { name health lastError lastSync { provider ok error }
                      balance { balance { amount } error } }
                      balances { providers { provider error } } }"""
    body = (await api(keys.admin).post(everything)).text
    secrets = [sim.key for sim in trio.sims.values() if sim.key]
    assert len(secrets) == 3
    assert not [s for s in secrets if s in body]


async def test_request_ids_are_echoed_or_made(api: ApiFactory, keys: Keys) -> None:
    reader = api(keys.reader)
    response = await reader.http.post(
        reader.url, json={"query": "{ viewer { clientId } }"},
        headers={**reader.headers(), "X-Request-ID": "trace-123456"},
    )  # fmt: skip
    assert response.headers["x-request-id"] == "trace-123456"
    made = await reader.post("{ viewer { clientId } }")
    assert len(made.headers["x-request-id"]) == 32
