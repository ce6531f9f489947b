"""A key whose order FAILED without being placed takes a corrected request (other fields) and
places it; the same request still gets its failed order; a key whose order was or may have
been placed (UNCONFIRMED, resolved, PENDING) is never reused. On SQLite and PostgreSQL, with
a panel over real HTTP that refuses a link it already has an active order for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.catalog import Group
from gateway.core import Gateway
from gateway.orders import IdempotencyConflict
from gateway.store import GatewayState
from providers.models import OrderState, ServiceType
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio

DUPLICATE = "You have active order with this link. Please wait until order being completed."


async def gamma_group(gw: Gateway, *, alone: bool = True) -> Group:
    """A default-type group sent to gamma first, offered by gamma alone unless `alone` is
    false: its panel (the JSON profile) refuses a link it has an active order for, with
    ``neworder.error.link_duplicate``, and an order refused so moves on to another member."""
    await gw.catalog.sync()
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        if (
            group.type is ServiceType.DEFAULT
            and group.cheapest.provider == "gamma"
            and (set(group.providers) == {"gamma"}) is alone
        ):
            return group
    raise AssertionError("no group sent to gamma first")


def order(group: Group, link: str) -> dict[str, Any]:
    return {"link": link, "quantity": max(m.service.min for m in group.members)}


async def test_a_corrected_request_reuses_the_key_of_an_order_that_was_never_placed(
    gw: Gateway, trio: Trio
) -> None:
    group = await gamma_group(gw)
    taken = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k1")
    assert taken.state == OrderState.PENDING

    refused = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k2")
    assert refused.state == GatewayState.FAILED
    assert refused.error == DUPLICATE  # the panel's text, not its message key
    # The same request again: the same answer, and no panel is asked again.
    again = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k2")
    assert (again.id, again.state) == (refused.id, GatewayState.FAILED)
    assert trio.calls("add")["gamma"] == 2

    corrected = await gw.place("c", group.id, order(group, "https://x.com/b"), idempotency_key="k2")
    assert corrected.state == OrderState.PENDING
    assert corrected.id != refused.id
    assert trio.calls("add")["gamma"] == 3
    # From now on the key stands for the corrected order, for its retries and against others.
    retry = await gw.place("c", group.id, order(group, "https://x.com/b"), idempotency_key="k2")
    assert retry.id == corrected.id
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k2")
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, order(group, "https://x.com/c"), idempotency_key="k2")
    assert trio.calls("add")["gamma"] == 3
    assert (await gw.store.get_order(refused.id)).state == GatewayState.FAILED


async def test_a_key_whose_order_was_placed_is_never_reused(gw: Gateway, trio: Trio) -> None:
    group = await gamma_group(gw)
    placed = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k")
    assert placed.state == OrderState.PENDING
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, order(group, "https://x.com/b"), idempotency_key="k")
    assert trio.calls("add")["gamma"] == 1


async def test_a_key_whose_order_may_have_been_placed_is_never_reused(
    gw: Gateway, trio: Trio
) -> None:
    group = await gamma_group(gw)
    # An answer that proves nothing: the order may exist at the panel.
    trio.sims["gamma"].faults.add(
        Fault(FaultKind.ERROR, actions=frozenset({"add"}), count=1, params={"text": "hm?"})
    )
    unsure = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k")
    assert unsure.state == GatewayState.UNCONFIRMED
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, order(group, "https://x.com/b"), idempotency_key="k")

    # Resolved as not placed by an operator, it stays the key's answer all the same: only an
    # order every panel answer proved unplaced frees its key for another request.
    resolved = await gw.orders.resolve(unsure.id, not_placed=True, by="test")
    assert resolved.state == GatewayState.FAILED
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, order(group, "https://x.com/b"), idempotency_key="k")
    assert trio.calls("add")["gamma"] == 1


async def test_concurrent_corrections_place_one_order(gw: Gateway, trio: Trio) -> None:
    group = await gamma_group(gw)
    await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k1")
    refused = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k")
    assert refused.state == GatewayState.FAILED

    # Two different corrections and a retry of one, at once: one of them places its order.
    answers = await asyncio.gather(
        *(
            gw.place("c", group.id, order(group, link), idempotency_key="k")
            for link in ("https://x.com/b", "https://x.com/c", "https://x.com/b")
        ),
        return_exceptions=True,
    )
    placed = {a.id for a in answers if not isinstance(a, BaseException)}
    assert len(placed) == 1
    assert all(isinstance(a, IdempotencyConflict) for a in answers if isinstance(a, BaseException))
    assert trio.calls("add")["gamma"] == 3
    claim = await gw.store.idempotency_claim("c", "k")
    assert claim is not None
    assert claim.order_id in placed


async def test_the_store_moves_a_key_off_its_failed_order_once(gw: Gateway) -> None:
    group = await gamma_group(gw)
    await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k1")
    refused = await gw.place("c", group.id, order(group, "https://x.com/a"), idempotency_key="k")
    first = await gw.place("c", group.id, order(group, "https://x.com/b"))
    second = await gw.place("c", group.id, order(group, "https://x.com/c"))
    async with gw.store.transaction() as tx:
        assert await gw.store.reuse_idempotency_key("c", "k", refused.id, "b", first.id, tx=tx)
    async with gw.store.transaction() as tx:
        # The key no longer stands for the failed order: the second reuse finds nothing to move.
        assert not await gw.store.reuse_idempotency_key("c", "k", refused.id, "c", second.id, tx=tx)
    claim = await gw.store.idempotency_claim("c", "k")
    assert claim is not None
    assert (claim.order_id, claim.fingerprint) == (first.id, "b")
