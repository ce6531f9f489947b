from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from gateway.store import IdempotencyClaim, Store
from gateway.store.tables import idempotency_keys
from tests.gateway.store.conftest import FakeClock


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


async def _attach(store: Store, claim: IdempotencyClaim) -> int | None:
    """An order created and attached in one transaction, as placement does; ``None`` (and
    nothing created) when the claim is no longer the caller's."""
    assert claim.token is not None
    try:
        async with store.transaction() as tx:
            row = await store.create_order(
                client_id=claim.client_id, request={"service": "1"}, tx=tx
            )
            if not await store.attach_idempotency_order(
                claim.client_id, claim.key, claim.token, row.id, tx=tx
            ):
                raise LookupError("claim lost")
    except LookupError:
        return None
    return row.id


async def test_later_claims_see_the_attached_order(store: Store) -> None:
    claim = await store.claim_idempotency_key("acme", "k", "fp")
    order_id = await _attach(store, claim)
    again = await store.claim_idempotency_key("acme", "k", "fp")
    assert claim.owner
    assert not again.owner
    assert again.order_id == order_id is not None
    assert again.matches("fp")


async def test_release_frees_a_claim_without_an_order_only(store: Store) -> None:
    free = await store.claim_idempotency_key("acme", "free", "fp")
    assert free.token is not None
    assert await store.release_idempotency_key("acme", "free", free.token)
    assert (await store.claim_idempotency_key("acme", "free", "fp2")).owner

    kept = await store.claim_idempotency_key("acme", "kept", "fp")
    assert kept.token is not None
    order_id = await _attach(store, kept)
    assert not await store.release_idempotency_key("acme", "kept", kept.token)
    assert (await store.claim_idempotency_key("acme", "kept", "fp")).order_id == order_id


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


async def test_a_claim_belongs_to_its_token(store: Store) -> None:
    mine = await store.claim_idempotency_key("acme", "k", "fp")
    seen = await store.idempotency_claim("acme", "k")
    other = await store.claim_idempotency_key("acme", "k", "fp")
    assert mine.owner
    assert mine.token
    assert seen is not None
    assert not seen.owner
    assert not other.owner
    assert seen.token == other.token == mine.token, "waiters see the holder's token"
    assert await store.idempotency_claim("acme", "missing") is None

    stranger = replace(mine, token="f" * 32)
    assert not await store.release_idempotency_key("acme", "k", "f" * 32)
    assert await _attach(store, stranger) is None, "only the token's holder attaches"
    after = await store.idempotency_claim("acme", "k")
    assert after is not None
    assert (after.token, after.order_id) == (mine.token, None)
    assert await store.list_orders("acme", None, None, 10) == [], "the order was rolled back"


async def test_a_claim_is_aged_from_its_creation(store: Store, clock: FakeClock) -> None:
    await store.claim_idempotency_key("acme", "k", "fp")
    clock.advance(seconds=12)
    seen = await store.idempotency_claim("acme", "k")
    assert seen is not None
    assert seen.age == timedelta(seconds=12)


async def test_a_taken_over_claim_cannot_be_attached_or_released_by_its_first_owner(
    store: Store, clock: FakeClock
) -> None:
    first = await store.claim_idempotency_key("acme", "k", "fp")
    clock.advance(seconds=40)
    taken = await store.take_over_idempotency_key("acme", "k", first.token)
    assert taken is not None
    assert taken.owner
    assert taken.token not in (None, first.token)
    assert taken.fingerprint == "fp"
    assert taken.created_at == clock.now, "the new owner's claim starts its own clock"
    assert first.token is not None
    assert await store.take_over_idempotency_key("acme", "k", first.token) is None
    assert await _attach(store, first) is None
    assert not await store.release_idempotency_key("acme", "k", first.token)
    order_id = await _attach(store, taken)
    assert order_id is not None
    seen = await store.idempotency_claim("acme", "k")
    assert seen is not None
    assert seen.order_id == order_id
    assert await store.take_over_idempotency_key("acme", "k", taken.token) is None, (
        "a claim with an order is never taken over"
    )
    assert [o.id for o in await store.list_orders("acme", None, None, 10)] == [order_id]


async def test_a_claim_made_before_tokens_existed_can_be_taken_over(store: Store) -> None:
    await store.claim_idempotency_key("acme", "k", "fp")
    async with store.transaction() as tx:
        await tx.execute(idempotency_keys.update().values(token=None))
    taken = await store.take_over_idempotency_key("acme", "k", None)
    assert taken is not None
    assert taken.token


async def test_concurrent_take_overs_from_two_processes_have_exactly_one_winner(
    store: Store, database_url: str
) -> None:
    first = await store.claim_idempotency_key("acme", "k", "fp")
    async with await Store.connect(database_url) as other:
        taken = await asyncio.gather(
            *(
                (store if i % 2 else other).take_over_idempotency_key("acme", "k", first.token)
                for i in range(100)
            )
        )
    winners = [t for t in taken if t is not None]
    assert len(winners) == 1
    seen = await store.idempotency_claim("acme", "k")
    assert seen is not None
    assert seen.token == winners[0].token


async def test_attach_and_take_over_racing_from_two_processes_never_both_win(
    store: Store, database_url: str
) -> None:
    attached_ids = []
    async with await Store.connect(database_url) as other:
        for n in range(20):
            claim = await store.claim_idempotency_key("acme", f"k{n}", "fp")
            attached, taken = await asyncio.gather(
                _attach(store, claim),
                other.take_over_idempotency_key("acme", f"k{n}", claim.token),
            )
            assert (attached is None) != (taken is None), f"round {n}: exactly one wins"
            seen = await store.idempotency_claim("acme", f"k{n}")
            assert seen is not None
            assert seen.order_id == attached
            if attached is not None:
                attached_ids.append(attached)
    orders = await store.list_orders("acme", None, None, 100)
    assert sorted(o.id for o in orders) == sorted(attached_ids), "a lost attach leaves no order"
