from __future__ import annotations

import asyncio

from gateway.store import IdempotencyClaim, Store


async def test_the_first_claim_owns_the_key(store: Store) -> None:
    first = await store.claim_idempotency_key("acme", "k1", "fp")
    second = await store.claim_idempotency_key("acme", "k1", "other")
    assert first.owner
    assert not second.owner
    assert second.fingerprint == "fp"
    assert not second.matches("other")
    assert second.order_id is None
    assert second.created_at == first.created_at


async def test_keys_are_per_client(store: Store) -> None:
    assert (await store.claim_idempotency_key("acme", "k", "fp")).owner
    assert (await store.claim_idempotency_key("other", "k", "fp")).owner


async def test_later_claims_see_the_attached_order(store: Store) -> None:
    claim = await store.claim_idempotency_key("acme", "k", "fp")
    row = await store.create_order(client_id="acme", request={"service": "1"})
    await store.attach_idempotency_order("acme", "k", row.id)
    again = await store.claim_idempotency_key("acme", "k", "fp")
    assert claim.owner
    assert not again.owner
    assert again.order_id == row.id
    assert again.matches("fp")


async def test_release_frees_a_claim_without_an_order_only(store: Store) -> None:
    await store.claim_idempotency_key("acme", "free", "fp")
    assert await store.release_idempotency_key("acme", "free")
    assert (await store.claim_idempotency_key("acme", "free", "fp2")).owner

    await store.claim_idempotency_key("acme", "kept", "fp")
    row = await store.create_order(client_id="acme", request={"service": "1"})
    await store.attach_idempotency_order("acme", "kept", row.id)
    assert not await store.release_idempotency_key("acme", "kept")
    assert (await store.claim_idempotency_key("acme", "kept", "fp")).order_id == row.id


def _check_one_owner(claims: list[IdempotencyClaim]) -> None:
    owners = [c for c in claims if c.owner]
    assert len(owners) == 1
    [owner] = owners
    others = [c for c in claims if not c.owner]
    assert {(c.fingerprint, c.created_at) for c in others} == {("fp", owner.created_at)}


async def test_200_concurrent_claims_have_exactly_one_owner(store: Store) -> None:
    claims = await asyncio.gather(
        *(store.claim_idempotency_key("acme", "race", "fp") for _ in range(200))
    )
    _check_one_owner(list(claims))


async def test_concurrent_claims_from_two_processes_have_exactly_one_owner(
    store: Store, database_url: str
) -> None:
    # A second Store has its own pool and connections, as another process would.
    async with await Store.connect(database_url) as other:
        claims = await asyncio.gather(
            *(
                (store if i % 2 else other).claim_idempotency_key("acme", "race", "fp")
                for i in range(200)
            )
        )
    _check_one_owner(list(claims))
