"""The gateway core across three simulated panels, over real HTTP, on SQLite and PostgreSQL,
with the real Redis."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import (
    IdempotencyConflict,
    InvalidOrder,
    NoEligibleProvider,
    ServiceNotFound,
    fingerprint,
)
from gateway.routing import Exclusion, Need
from gateway.store import GatewayState
from providers.models import OrderState, ServiceType
from providers.simulator import Fault, FaultKind
from tests.gateway.cache_fixtures import RedisServer
from tests.gateway.panels import (
    EUR_TO_USD,
    Trio,
    open_gateway,
    shared_group,
    trio_settings,
)
from tests.gateway.syncing import sync_statuses
from tests.gateway.transports import Switchboard, open_switched_gateway


def fields_for(group: Group, n: int = 0) -> dict[str, object]:
    quantity = max(m.service.min for m in group.members)
    return {"link": f"https://instagram.com/p/{n}", "quantity": quantity}


async def test_sync_merges_the_three_catalogs(gw: Gateway) -> None:
    results = await gw.catalog.sync()
    assert {r.provider: r.ok for r in results} == {"alpha": True, "beta": True, "gamma": True}
    assert all(r.services > 0 for r in results)
    snapshot = await gw.catalog.snapshot()
    shared = [g for g in snapshot.groups.values() if len(g.providers) == 3]
    assert len(shared) >= 10, "equivalent services of the three panels are grouped"
    for offer in snapshot.offers.values():
        expected = offer.service.rate.amount * (EUR_TO_USD if offer.provider == "gamma" else 1)
        assert offer.rate == expected
        assert isinstance(offer.rate, Decimal)
    members = [m.id for g in snapshot.groups.values() for m in g.members]
    assert len(members) == len(set(members)) == len(snapshot.offers)


async def test_one_failing_panel_keeps_the_others(gw: Gateway, trio: Trio) -> None:
    await gw.catalog.sync()
    before = await gw.catalog.snapshot()
    trio.sims["beta"].faults.add(Fault(FaultKind.HTTP_5XX, actions=frozenset({"services"})))
    results = {r.provider: r for r in await gw.catalog.sync()}
    assert not results["beta"].ok
    assert results["beta"].error
    assert results["alpha"].ok
    assert results["gamma"].ok
    after = await gw.catalog.snapshot()
    assert {o.provider for o in after.offers.values()} == {"alpha", "beta", "gamma"}
    assert set(after.groups) == set(before.groups)


async def test_quote_picks_the_cheapest_and_explains_the_rest(gw: Gateway) -> None:
    group = await shared_group(gw)
    quote = await gw.quote(group.id, fields_for(group))
    assert quote.chosen is not None
    costs = [c.cost.amount for c in quote.candidates]
    assert costs == sorted(costs)
    assert quote.chosen.offer == min(group.members, key=lambda m: (m.rate, m.provider))
    too_many = {"link": "https://x.com/a", "quantity": max(m.service.max for m in group.members)}
    partial = await gw.quote(group.id, too_many)
    narrower = {m.id for m in group.members if m.service.max < too_many["quantity"]}  # type: ignore[operator]
    assert narrower, "the group must have a member too small for this test to mean anything"
    assert {e.offer.id for e in partial.excluded} == narrower
    assert all(e.reason is Exclusion.QUANTITY_ABOVE_MAX for e in partial.excluded)
    assert {c.offer.id for c in partial.candidates} == {m.id for m in group.members} - narrower


async def test_place_records_the_order_and_its_history(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    quote = await gw.quote(group.id, fields_for(group))
    assert quote.chosen is not None
    order = await gw.place("client-a", group.id, fields_for(group))
    assert order.state == OrderState.PENDING
    assert order.provider == quote.chosen.offer.provider
    assert order.provider_order_id
    assert order.quoted_cost == quote.chosen.cost.amount
    assert trio.sims[order.provider].panel.order_count == 1
    events = [e.kind for e in await gw.store.order_events(order.id)]
    assert events == ["created", "placed"], "routed to the cheapest member when created"


async def test_invalid_requests_never_become_orders(gw: Gateway) -> None:
    group = await shared_group(gw)
    with pytest.raises(ServiceNotFound):
        await gw.place("c", 987654321, fields_for(group))
    with pytest.raises(InvalidOrder, match="quantity"):
        await gw.place("c", group.id, {"link": "https://x.com/a"})
    with pytest.raises(NoEligibleProvider, match="Quantity must be between"):
        await gw.place("c", group.id, {"link": "https://x.com/a", "quantity": 10**15})
    assert await gw.store.list_orders(None, None, None, 10) == []


async def test_a_subscription_whose_min_no_member_takes_never_becomes_an_order(
    gw: Gateway, trio: Trio
) -> None:
    groups = (await gw.catalog.snapshot()).groups.values()
    group = next(g for g in groups if g.type is ServiceType.SUBSCRIPTIONS and g.min > 1)
    adds = trio.calls("add")
    low = {"username": "tour_shop", "min": group.min - 1, "max": group.min}
    with pytest.raises(NoEligibleProvider) as refused:
        await gw.place("c", group.id, low)
    assert str(refused.value) == f"Min and max must be between {group.min} and {group.max}"
    assert trio.calls("add") == adds, "no panel was asked"
    assert await gw.store.list_orders(None, None, None, 10) == []
    order = await gw.place("c", group.id, {**low, "min": group.min})
    assert order.provider_order_id


async def test_failover_when_the_cheapest_has_no_funds(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    ranked = [c.offer.provider for c in (await gw.quote(group.id, fields_for(group))).candidates]
    cheapest = trio.sims[ranked[0]]
    cheapest.panel.set_account(cheapest.key or "", Decimal(0))
    order = await gw.place("c", group.id, fields_for(group))
    assert order.provider == ranked[1]
    assert order.state == OrderState.PENDING
    assert [a["error"] for a in order.attempts] == ["InsufficientFunds"]
    assert trio.sims[ranked[1]].panel.order_count == 1


async def test_failover_when_the_cheapest_is_down(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    ranked = [c.offer.provider for c in (await gw.quote(group.id, fields_for(group))).candidates]
    trio.sims[ranked[0]].stop()
    order = await gw.place("c", group.id, fields_for(group))
    assert order.provider == ranked[1]
    assert [a["error"] for a in order.attempts] == ["Unavailable"]
    for n in range(gw.health.threshold - 1):
        await gw.place("c", group.id, fields_for(group, n + 1))
    assert not gw.health.available(ranked[0]), "repeated failures put it in cooldown"
    after = await gw.place("c", group.id, fields_for(group, 99))
    assert [a["provider"] for a in after.attempts] == [], "a provider in cooldown is not tried"
    queued = [e for e in await gw.store.pending_outbox(100) if e.type == "provider.unhealthy"]
    assert len(queued) == 1
    assert queued[0].payload["data"]["provider"]["name"] == ranked[0]


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.HTTP_5XX, FaultKind.TIMEOUT])
async def test_ambiguous_add_is_unconfirmed_and_never_sent_elsewhere(
    gw: Gateway, trio: Trio, kind: FaultKind
) -> None:
    group = await shared_group(gw)
    ranked = [c.offer.provider for c in (await gw.quote(group.id, fields_for(group))).candidates]
    trio.sims[ranked[0]].faults.add(Fault(kind, actions=frozenset({"add"}), params={"seconds": 30}))
    before = trio.calls("add")
    order = await gw.place("c", group.id, fields_for(group))
    assert order.state == GatewayState.UNCONFIRMED
    assert order.provider == ranked[0]
    [attempt] = order.attempts
    assert (attempt["provider"], attempt["error"]) == (ranked[0], "Ambiguous")
    assert order.error is not None
    assert order.error == attempt["message"]
    assert order.error.startswith(("outcome unknown", "panel fault after the request")), order.error
    added = {name: count - before[name] for name, count in trio.calls("add").items()}
    assert added == {name: int(name == ranked[0]) for name in trio.sims}


async def test_same_idempotency_key_returns_the_same_order(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    first = await gw.place("c", group.id, fields_for(group), idempotency_key="k-1")
    again = await gw.place("c", group.id, fields_for(group), idempotency_key="k-1")
    assert again.id == first.id
    assert sum(trio.calls("add").values()) == 1
    other = await gw.place("someone-else", group.id, fields_for(group), idempotency_key="k-1")
    assert other.id != first.id, "keys are per client"
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, fields_for(group, n=99), idempotency_key="k-1")


async def test_idempotency_holds_under_200_concurrent_calls(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    fields = fields_for(group)
    orders = await asyncio.gather(
        *(gw.place("c", group.id, fields, idempotency_key="burst") for _ in range(200))
    )
    assert {o.id for o in orders} == {orders[0].id}
    assert sum(trio.calls("add").values()) == 1


async def test_idempotency_across_two_gateways_sharing_the_store(
    settings: Settings, trio: Trio
) -> None:
    # Two pools in one event loop; two OS processes: tests/gateway/test_idempotency_processes.py
    async with open_gateway(settings, trio) as one, open_gateway(settings, trio) as two:
        group = await shared_group(one)
        fields = fields_for(group)
        orders = await asyncio.gather(
            *(gw.place("c", group.id, fields, idempotency_key="twice")
              for gw in (one, two) for _ in range(20))
        )  # fmt: skip
    assert len({o.id for o in orders}) == 1
    assert sum(trio.calls("add").values()) == 1


async def test_a_complete_order_life(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw, members=3, refill=True, cancel=True)
    needs = frozenset({Need.REFILL, Need.CANCEL})
    kept = await gw.place("c", group.id, fields_for(group, 1), needs=needs)
    dropped = await gw.place("c", group.id, fields_for(group, 2), needs=needs)

    [canceled] = await gw.orders.cancel([dropped.id], "c")
    assert canceled.error is None
    [pending] = await gw.orders.status([kept.id], "c")
    assert pending.order is not None
    assert pending.order.state in (OrderState.PENDING, OrderState.IN_PROGRESS)

    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    outcomes = {o.order_id: o for o in await gw.orders.status([kept.id, dropped.id], "c")}
    done = outcomes[kept.id].order
    assert done is not None
    assert done.state in (OrderState.COMPLETED, OrderState.PARTIAL)
    assert done.charge is not None
    assert done.charge > 0
    gone = outcomes[dropped.id].order
    assert gone is not None
    assert gone.state == OrderState.CANCELED

    [refill] = await gw.orders.refill([kept.id], "c")
    assert refill.error is None
    assert refill.refill is not None
    assert refill.refill.state == "PENDING"
    trio.advance(14 * 24 * 3600)
    refreshed, missing = await gw.orders.refill_status([refill.refill.id, 987654], "c")
    assert missing.error == "Refill not found"
    assert refreshed.refill is not None
    assert refreshed.refill.state in ("COMPLETED", "REJECTED")
    assert refreshed.refill.status_raw
    [other] = await gw.orders.refill_status([refill.refill.id], "someone-else")
    assert other.error == "Refill not found"
    history = [e.kind for e in await gw.store.order_events(kept.id)]
    assert history[:2] == ["created", "placed"]
    assert "status" in history
    assert history[-1] == "refill"


async def test_clients_reach_only_their_own_orders(gw: Gateway) -> None:
    group = await shared_group(gw)
    order = await gw.place("alice", group.id, fields_for(group))
    [seen] = await gw.orders.status([order.id], "mallory")
    assert seen.order is None
    assert seen.error == "Incorrect order ID"
    [cancel] = await gw.orders.cancel([order.id], "mallory")
    assert cancel.error == "Incorrect order ID"
    [admin] = await gw.orders.status([order.id], None)
    assert admin.order is not None


async def test_balances_are_fetched_converted_and_totalled(gw: Gateway) -> None:
    balances = await gw.balances.fetch()
    by_name = {b.provider: b for b in balances.providers}
    assert set(by_name) == {"alpha", "beta", "gamma"}
    gamma = by_name["gamma"]
    assert gamma.balance is not None
    assert gamma.base is not None
    assert gamma.balance.currency == "EUR"
    assert gamma.base.amount == gamma.balance.amount * EUR_TO_USD
    assert balances.total.currency == "USD"
    assert balances.total.amount == sum(b.base.amount for b in balances.providers if b.base)


async def test_restart_keeps_ids_and_orders(settings: Settings, trio: Trio) -> None:
    async with open_gateway(settings, trio) as first:
        group = await shared_group(first)
        order = await first.place("c", group.id, fields_for(group))
        ids = {g.key: g.id for g in (await first.catalog.snapshot()).groups.values()}
    fresh = settings.model_copy(
        update={"gateway": settings.gateway.model_copy(update={"redis_url": None})}
    )
    async with open_gateway(fresh, trio) as second:
        again = {g.key: g.id for g in (await second.catalog.snapshot()).groups.values()}
        assert again == ids
        assert (await second.orders.get(order.id, "c")).provider_order_id == order.provider_order_id


async def test_losing_redis_mid_run_degrades_without_errors(
    trio: Trio, database_url: str, namespace: str, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings = trio_settings(trio, database_url, server.url, namespace)
        async with open_gateway(settings, trio) as gw:
            group = await shared_group(gw)
            first = await gw.place("c", group.id, fields_for(group, 1), idempotency_key="r-1")
            await gw.balances.fetch()
            server.stop()
            await gw.catalog.sync()
            quote = await gw.quote(group.id, fields_for(group))
            assert quote.chosen is not None
            second = await gw.place("c", group.id, fields_for(group, 2))
            assert second.state == OrderState.PENDING
            again = await gw.place("c", group.id, fields_for(group, 1), idempotency_key="r-1")
            assert again.id == first.id, "idempotency lives in the store, not the cache"
            balances = await gw.balances.fetch()
            assert all(b.error is None for b in balances.providers)
    finally:
        server.stop()


async def test_every_visible_change_is_queued_once_in_the_outbox(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    order = await gw.place("c", group.id, fields_for(group))
    await sync_statuses(gw)
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    await sync_statuses(gw)  # nothing new: no event
    queued = await gw.store.pending_outbox(100)
    types = [e.type for e in queued]
    assert types[0] == "order.created"
    assert types[-1] in ("order.completed", "order.partial")
    assert len({e.event_id for e in queued}) == len(queued)
    final = queued[-1].payload
    assert final["version"] == 1
    assert final["data"]["order"]["id"] == order.id
    assert final["data"]["order"]["state"] in ("COMPLETED", "PARTIAL")
    assert isinstance(final["data"]["order"]["charge"], str), "money travels as exact text"


async def test_an_order_interrupted_while_sending_becomes_unconfirmed(gw: Gateway) -> None:
    group = await shared_group(gw)
    quote = await gw.quote(group.id, fields_for(group))
    stuck = await gw.store.create_order(client_id="c", request=quote.request, group_id=group.id)
    stuck = await gw.store.mark_sent(stuck.id, stuck.version)
    unsent = await gw.store.create_order(client_id="c", request=quote.request, group_id=group.id)
    assert await gw.orders.settle_interrupted(timedelta(hours=1)) == []
    settled = await gw.orders.settle_interrupted(timedelta(0))
    assert [(row.id, row.state) for row in settled] == [
        (stuck.id, GatewayState.UNCONFIRMED),
        (unsent.id, GatewayState.FAILED),
    ]
    assert all(row.error for row in settled)
    queued = [e.type for e in await gw.store.pending_outbox(100)]
    assert queued.count("order.unconfirmed") == 1
    assert queued.count("order.failed") == 1


async def test_a_late_provider_answer_settles_an_order_marked_unconfirmed(
    settings: Settings, trio: Trio
) -> None:
    boards = {name: Switchboard() for name in trio.sims}
    async with open_switched_gateway(settings, trio, boards) as gw:
        group = await shared_group(gw)
        quote = await gw.quote(group.id, fields_for(group))
        board = boards[quote.candidates[0].offer.provider]
        board.hold("add")
        placing = asyncio.create_task(gw.place("c", group.id, fields_for(group)))
        # The add is on its way to the panel: its ledger row must exist already.
        await asyncio.wait_for(board.arrived.wait(), 60)
        [marked] = await gw.orders.settle_interrupted(timedelta(0))
        assert marked.state == GatewayState.UNCONFIRMED
        board.release()
        order = await placing
        kinds = [e.kind for e in await gw.store.order_events(order.id)]
    assert order.id == marked.id
    assert order.state == OrderState.PENDING
    assert order.provider_order_id
    assert kinds == ["created", "unconfirmed", "placed"]


async def test_a_key_left_by_a_dead_request_is_taken_over(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    same = fingerprint(group.id, fields_for(group), frozenset())
    await gw.store.claim_idempotency_key("c", "orphan", same)  # and then its process died
    gw.orders.idempotency_wait = 0.2
    order = await gw.place("c", group.id, fields_for(group), idempotency_key="orphan")
    assert order.state == OrderState.PENDING
    again = await gw.place("c", group.id, fields_for(group), idempotency_key="orphan")
    assert again.id == order.id
    assert sum(trio.calls("add").values()) == 1


async def test_a_retry_returns_its_order_even_if_it_would_no_longer_validate(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    first = await gw.place("c", group.id, fields_for(group), idempotency_key="stable")
    snapshot = await gw.catalog.snapshot()
    emptied = replace(snapshot, groups={})  # the service left the catalog since
    again = await gw.orders.place(
        emptied, "c", group.id, fields_for(group), idempotency_key="stable"
    )
    assert again.id == first.id
    with pytest.raises(ServiceNotFound):
        await gw.orders.place(emptied, "c", group.id, fields_for(group), idempotency_key="new")
    claim = await gw.store.claim_idempotency_key("c", "new", "x")
    assert claim.owner, "a request that placed nothing leaves its key free"
