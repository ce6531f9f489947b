from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.store import Store
from gateway.store import api_keys as api_keys_module
from gateway.store.api_keys import hash_secret
from gateway.store.tables import api_keys

from .conftest import FakeClock


async def test_a_created_key_verifies_and_only_its_hash_is_stored(store: Store) -> None:
    row, secret = await store.create_api_key("ci", "acme", ["orders:write", "orders:read"])
    assert secret.startswith("smmgw_")
    assert len(secret) > 40
    assert row.prefix == secret[: len(row.prefix)]
    assert row.scopes == ["orders:read", "orders:write"]
    assert row.active
    async with store.engine.connect() as conn:
        stored = (await conn.execute(select(api_keys))).mappings().one()
    assert secret not in {str(v) for v in stored.values()}
    assert stored["key_hash"] == hash_secret(secret)
    verified = await store.verify_api_key(secret)
    assert verified is not None
    assert (verified.id, verified.client_id) == (row.id, "acme")


async def test_the_row_never_shows_the_hash(store: Store) -> None:
    row, secret = await store.create_api_key("ci", "acme", [])
    assert hash_secret(secret) not in repr(row)
    assert secret not in repr(row)
    assert not hasattr(row, "key_hash")


async def test_unknown_and_malformed_secrets_do_not_verify(store: Store) -> None:
    _, secret = await store.create_api_key("ci", "acme", [])
    assert await store.verify_api_key(secret + "x") is None
    assert await store.verify_api_key("") is None
    assert await store.verify_api_key(hash_secret(secret)) is None


async def test_revoked_keys_stop_verifying(store: Store) -> None:
    row, secret = await store.create_api_key("ci", "acme", [])
    assert await store.revoke_api_key(row.id)
    assert not await store.revoke_api_key(row.id)
    assert await store.verify_api_key(secret) is None
    [listed] = await store.list_api_keys()
    assert not listed.active


async def test_last_used_is_updated_at_most_once_a_minute(store: Store, clock: FakeClock) -> None:
    _, secret = await store.create_api_key("ci", "acme", [])
    first = await store.verify_api_key(secret)
    assert first is not None
    assert first.last_used_at == clock.now
    used = clock.now
    clock.advance(seconds=30)
    await store.verify_api_key(secret)
    [listed] = await store.list_api_keys()
    assert listed.last_used_at == used
    clock.advance(seconds=31)
    await store.verify_api_key(secret)
    [listed] = await store.list_api_keys()
    assert listed.last_used_at == used + timedelta(seconds=61)


async def test_keys_are_listed_per_client(store: Store) -> None:
    a, _ = await store.create_api_key("one", "acme", [])
    b, _ = await store.create_api_key("two", "other", [])
    assert [k.id for k in await store.list_api_keys()] == [a.id, b.id]
    assert [k.id for k in await store.list_api_keys("other")] == [b.id]


async def test_inactive_keys_are_the_revoked_and_the_unknown_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [(await store.create_api_key(f"k{n}", "acme", ["read"]))[0].id for n in range(3)]
    assert await store.revoke_api_key(ids[1])
    asked = [*ids, 9999]
    assert await store.inactive_api_keys(asked) == {ids[1], 9999}
    monkeypatch.setattr(api_keys_module, "IN_CHUNK", 2)  # several queries: the same answer
    assert await store.inactive_api_keys(asked) == {ids[1], 9999}
    assert await store.inactive_api_keys([]) == set()
