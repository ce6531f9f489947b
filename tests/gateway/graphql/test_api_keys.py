"""``apiKeys``, ``createApiKey`` and ``revokeApiKey`` (admin): a key made over the API works at
once, a revoked one stops; other scopes are refused; a wrong key is called invalid."""

from __future__ import annotations

from typing import Any

from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory

CREATE = """mutation($name: String!, $scopes: [String!]!, $client: String) {
  createApiKey(name: $name, scopes: $scopes, clientId: $client) { __typename
    ... on CreateApiKeySuccess { secret apiKey { id name clientId scopes prefix revokedAt } }
    ... on ValidationError { message code field } } }"""
REVOKE = """mutation($id: Int!) { revokeApiKey(id: $id) { __typename
  ... on RevokeApiKeySuccess { apiKey { id revokedAt } }
  ... on NotFoundError { message code id } } }"""
LIST = "{ apiKeys { id name clientId scopes prefix revokedAt } }"
VIEWER = "{ viewer { clientId scopes keyName } }"


async def create(api: ApiFactory, key: str, **variables: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (await api(key).data(CREATE, variables))["createApiKey"]
    return answer


async def test_an_admin_makes_a_key_that_works_at_once_and_revokes_it(
    api: ApiFactory, keys: Keys
) -> None:
    made = await create(api, keys.admin, name="shop", scopes=["order"])
    assert made["__typename"] == "CreateApiKeySuccess"
    assert made["apiKey"]["clientId"] == "shop"
    assert made["apiKey"]["scopes"] == ["order"]
    assert made["secret"].startswith(made["apiKey"]["prefix"])
    viewer = (await api(made["secret"]).data(VIEWER))["viewer"]
    assert viewer == {"clientId": "shop", "scopes": ["order", "read"], "keyName": "shop"}

    listed = (await api(keys.admin).data(LIST))["apiKeys"]
    assert made["apiKey"] in listed
    assert made["secret"] not in str(listed)

    revoked = (await api(keys.admin).data(REVOKE, {"id": made["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["__typename"] == "RevokeApiKeySuccess"
    assert revoked["apiKey"]["revokedAt"] is not None
    answer = await api(made["secret"]).execute(VIEWER)
    assert answer["errors"][0]["message"] == "invalid API key"


async def test_a_key_for_another_client(api: ApiFactory, keys: Keys) -> None:
    made = await create(api, keys.admin, name="ci", scopes=["read"], client="client-a")
    assert made["apiKey"]["clientId"] == "client-a"


async def test_bad_input_is_a_typed_payload(api: ApiFactory, keys: Keys) -> None:
    unknown = await create(api, keys.admin, name="x", scopes=["root"])
    assert unknown["__typename"] == "ValidationError"
    assert unknown["field"] == "scopes"
    assert "unknown scope 'root'" in unknown["message"]
    none = await create(api, keys.admin, name="x", scopes=[])
    assert (none["__typename"], none["field"]) == ("ValidationError", "scopes")
    blank = await create(api, keys.admin, name="  ", scopes=["read"])
    assert (blank["__typename"], blank["field"]) == ("ValidationError", "name")
    missing = (await api(keys.admin).data(REVOKE, {"id": 999_999}))["revokeApiKey"]
    assert missing == {
        "__typename": "NotFoundError", "message": "no active key 999999", "code": "KEY_NOT_FOUND",
        "id": 999_999,
    }  # fmt: skip


async def test_only_admins_manage_keys(api: ApiFactory, keys: Keys) -> None:
    for query, variables in (
        (CREATE, {"name": "mine", "scopes": ["admin"]}), (LIST, None), (REVOKE, {"id": 1}),
    ):  # fmt: skip
        assert await api(keys.alice).error_codes(query, variables) == ["FORBIDDEN"]


async def test_a_wrong_key_is_invalid_and_a_missing_one_required(
    api: ApiFactory, keys: Keys
) -> None:
    wrong = await api("smmgw_not_a_key_of_ours_at_all").execute(VIEWER)
    assert [e["message"] for e in wrong["errors"]] == ["invalid API key"]
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    missing = await api(None).execute(VIEWER)
    assert missing["errors"][0]["message"] == (
        "an API key is required: send the header Authorization: Bearer YOUR_KEY"
    ), "the whole hint, not cut short"
