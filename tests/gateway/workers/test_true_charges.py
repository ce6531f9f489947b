"""True charges: the currency a panel charges in, a panel in another currency than configured,
a charge above the quote, and a catalog too old to route on. Simulated panels over HTTP, the
standard worker jobs, SQLite and PostgreSQL, the real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import cast

import httpx
from strawberry.types import Info

from gateway import events
from gateway.auth import Principal, Scope, parse_scopes
from gateway.catalog import Group
from gateway.config import Settings
from gateway.core import Gateway
from gateway.event_bus import EventBus
from gateway.graphql.order_types import OrderNode
from gateway.metrics import exposition
from gateway.orders.polled import OVERCHARGED
from gateway.rest.v2_shapes import money_text, status_entry
from gateway.routing import Exclusion
from gateway.store import OrderRow
from gateway.workers import CatalogRefresh, WorkerOptions, standard_jobs
from gateway.workers.broadcast import LocalBroadcast
from gateway.workers.jobs import Run
from gateway.workers.sync import StatusSync
from providers.base import BatchResult, Provider
from providers.models import OrderId, OrderStatus, ServiceType
from tests.gateway.panels import EUR_TO_USD, Trio, open_gateway, trio_providers
from tests.gateway.workers.helpers import Now


def jobs(gw: Gateway, now: Now) -> dict[str, Run]:
    """The standard jobs as a worker runs them, on the test's clock."""
    made = standard_jobs(gw, LocalBroadcast(EventBus()), WorkerOptions(clock=now))
    return {job.name: job.run for job in made}


async def only_at(gw: Gateway, provider: str) -> Group:
    """A default-type group only `provider` offers, for orders that must go there."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        alone = group.providers == {provider} and not group.members[0].service.dripfeed
        if alone and group.type is ServiceType.DEFAULT:
            return group
    raise AssertionError(f"no group offered by {provider} alone")


async def place(gw: Gateway, group: Group, n: int = 0) -> OrderRow:
    service = group.members[0].service
    quantity = max(service.min, 1000) if service.max >= 1000 else service.min
    fields = {"link": f"https://instagram.com/p/charge{n}", "quantity": quantity}
    return await gw.place("client", group.id, fields)


async def polled(gw: Gateway, now: Now, provider: str, order: OrderRow) -> OrderRow:
    """`order` after the status sync of `provider` polled it once."""
    now.advance(60)
    await jobs(gw, now)["status_sync"](provider)
    return await gw.store.get_order(order.id)


OPS = parse_scopes([Scope.OPS])


async def outbox_types(gw: Gateway) -> list[str]:
    return [row.type for row in await gw.store.pending_outbox(1000)]


def with_currency(settings: Settings, provider: str, currency: str) -> Settings:
    sections = [
        p.model_copy(update={"currency": currency}) if p.name == provider else p
        for p in settings.providers
    ]
    return settings.model_copy(update={"providers": sections})


async def test_a_charge_is_stored_in_the_currency_the_panel_charges_in(
    gw: Gateway, trio: Trio, now: Now, settings: Settings
) -> None:
    order = await place(gw, await only_at(gw, "gamma"))
    assert order.provider_currency == "EUR"
    row = await polled(gw, now, "gamma", order)
    upstream = trio.sims["gamma"].panel.orders()[0]
    assert row.charge == upstream.charge
    assert row.charge_currency == "EUR"

    entry = status_entry(row, "USD", settings.rate_to_base)
    assert entry["charge"] == money_text(upstream.charge * EUR_TO_USD)
    # What GraphQL shows an operator: the charge in the currency the panel charged in.
    operator = SimpleNamespace(context=SimpleNamespace(principal=Principal("ops", OPS)))
    shown = OrderNode.of(row).charge(cast(Info, operator))
    assert shown is not None
    assert (shown.amount, shown.currency) == (upstream.charge, "EUR")
    last = (await gw.store.pending_outbox(100))[-1].payload["data"]["order"]
    assert (Decimal(last["charge"]), last["charge_currency"]) == (upstream.charge, "EUR")


async def test_statuses_in_another_currency_keep_the_provider_out_of_routing(
    settings: Settings, trio: Trio, now: Now
) -> None:
    # The panel charges in EUR; the configuration says USD.
    async with open_gateway(with_currency(settings, "gamma", "USD"), trio) as gw:
        group = await only_at(gw, "gamma")
        order = await place(gw, group)
        assert order.provider_currency == "USD"
        row = await polled(gw, now, "gamma", order)
        upstream = trio.sims["gamma"].panel.orders()[0]
        assert (row.charge, row.charge_currency) == (upstream.charge, "EUR")
        entry = status_entry(row, "USD", gw.settings.rate_to_base)
        assert entry["charge"] == money_text(upstream.charge * EUR_TO_USD)

        quote = await gw.quote(group.id, {"link": "https://x.y/p", "quantity": group.min})
        assert quote.chosen is None
        [excluded] = quote.excluded
        assert excluded.reason is Exclusion.CURRENCY_MISMATCH
        assert excluded.detail == "status in EUR, configured USD"
        others = await gw.quote(
            (await only_at(gw, "alpha")).id, {"link": "https://x.y/p", "quantity": 1000}
        )
        assert all(e.reason is not Exclusion.CURRENCY_MISMATCH for e in others.excluded)

        trio.advance(600)
        await polled(gw, now, "gamma", row)
        mismatches = [
            r.payload["data"]
            for r in await gw.store.pending_outbox(100)
            if r.type == events.PROVIDER_CURRENCY_MISMATCH
        ]
        assert mismatches == [
            {"provider": {"name": "gamma"}, "configured": "USD", "reported": "EUR",
             "source": "status"}
        ], "announced once, however many statuses show it"  # fmt: skip


class Together:
    """A panel whose first status answer is handed back only once another gateway's first has
    come too: two gateways reading the same statuses at the same moment."""

    def __init__(self, provider: Provider, meet: asyncio.Barrier) -> None:
        self.provider = provider
        self.meet = meet
        self.met = False

    def __getattr__(self, name: str) -> object:
        return getattr(self.provider, name)

    async def status(self, ids: Iterable[OrderId]) -> BatchResult[OrderStatus]:
        answers = await self.provider.status(ids)
        if not self.met:
            self.met = True
            await asyncio.wait_for(self.meet.wait(), 30)  # the other gateway polls too
        return answers


async def test_statuses_in_another_currency_seen_by_two_gateways_at_once_are_announced_once(
    settings: Settings, trio: Trio, now: Now
) -> None:
    """Gateways of a fleet poll the same provider at the same moment (each its own claimed
    orders): the episode is decided by one of them at a time, so one event per episode."""
    usd = with_currency(settings, "gamma", "USD")
    async with open_gateway(usd, trio) as a, open_gateway(usd, trio) as b:
        group = await only_at(a, "gamma")
        orders = [await place(a, group, n) for n in range(4)]
        now.advance(60)
        meet = asyncio.Barrier(2)

        def later() -> datetime:  # b's clock a moment ahead of a's, as two machines' are
            return now() + timedelta(milliseconds=1)

        clocks: list[Callable[[], datetime]] = [now, later]
        syncs = [
            StatusSync(
                gw.store,
                {"gamma": cast(Provider, Together(gw.providers["gamma"], meet))},
                batch=1,
                lanes=1,
                clock=clock,
                currencies=gw.currencies,
                instance=f"gw{i}",
            )
            for i, (gw, clock) in enumerate(zip((a, b), clocks, strict=True))
        ]
        reports = await asyncio.gather(*(sync.run("gamma") for sync in syncs))
        assert sum(r.polled for r in reports) == len(orders)
        rows = [await a.store.get_order(o.id) for o in orders]
        assert all(row.charge_currency == "EUR" for row in rows)
        types = await outbox_types(a)
        assert types.count(events.PROVIDER_CURRENCY_MISMATCH) == 1
        quote = await b.quote(group.id, {"link": "https://x.y/p", "quantity": group.min})
        assert [e.reason for e in quote.excluded] == [Exclusion.CURRENCY_MISMATCH]


async def test_a_mismatch_left_undecided_by_another_process_is_announced_later(
    settings: Settings, trio: Trio, now: Now
) -> None:
    """A process that finds another deciding the episode (or one that died deciding, until its
    lock expires) neither announces nor records it, so the next status announces it."""
    usd = with_currency(settings, "gamma", "USD")
    async with open_gateway(usd, trio) as a, open_gateway(usd, trio) as b:
        order = await place(a, await only_at(a, "gamma"))
        async with b.currencies.deciding("gamma") as mine:
            assert mine
            row = await polled(a, now, "gamma", order)
            assert row.charge_currency == "EUR"
            assert events.PROVIDER_CURRENCY_MISMATCH not in await outbox_types(a)
            assert await a.currencies.mismatches({}) == {}
        trio.advance(600)
        await polled(a, now, "gamma", row)
        assert (await outbox_types(a)).count(events.PROVIDER_CURRENCY_MISMATCH) == 1
        assert set(await b.currencies.mismatches({})) == {"gamma"}


async def test_a_balance_in_another_currency_keeps_the_provider_out_of_routing(
    settings: Settings, trio: Trio, now: Now
) -> None:
    async with open_gateway(with_currency(settings, "gamma", "USD"), trio) as gw:
        group = await only_at(gw, "gamma")
        run = jobs(gw, now)["balance_refresh"]
        await run(None)
        await run(None)
        quote = await gw.quote(group.id, {"link": "https://x.y/p", "quantity": group.min})
        assert [(e.reason, e.detail) for e in quote.excluded] == [
            (Exclusion.CURRENCY_MISMATCH, "balance in EUR, configured USD")
        ]
        types = await outbox_types(gw)
        assert types.count(events.PROVIDER_CURRENCY_MISMATCH) == 1


async def test_a_charge_above_the_quote_flags_counts_and_resyncs_once(
    gw: Gateway, trio: Trio, now: Now
) -> None:
    group = await only_at(gw, "alpha")
    service = group.members[0].service
    sim = trio.sims["alpha"]
    raised = service.rate.amount * 2
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{sim.base_url}/_sim/services/{service.id}", json={"rate": f"{raised:f}"}
        )
    assert answer.status_code == 200, answer.text
    fetched = trio.calls("services")["alpha"]

    # Both quoted at the price of the last sync, charged at the new one.
    first, second = await place(gw, group, 1), await place(gw, group, 2)
    await polled(gw, now, "alpha", first)
    for order in await gw.store.get_orders([first.id, second.id]):
        assert order.provider_cost is not None
        assert order.charge is not None
        assert order.charge > order.provider_cost
        assert order.flags == [OVERCHARGED]
    assert (await outbox_types(gw)).count(events.ORDER_OVERCHARGED) == 2
    assert trio.calls("services")["alpha"] == fetched + 1, "the provider's catalog re-synced once"
    snapshot = await gw.catalog.snapshot()
    assert snapshot.offers[group.members[0].key].service.rate.amount == raised
    text = (await exposition(gw)).decode()
    assert 'smmgw_overcharged_orders_total{provider="alpha"} 2.0' in text

    # Later statuses of the same orders announce nothing again.
    trio.advance(3600)
    await polled(gw, now, "alpha", first)
    assert (await outbox_types(gw)).count(events.ORDER_OVERCHARGED) == 2
    assert trio.calls("services")["alpha"] == fetched + 1
    # A catalog fetched after an order was placed already has the price that order paid.
    refresh = CatalogRefresh(gw.catalog, gw.store)
    assert not await refresh.refresh_if_older("alpha", first.created_at)
    assert trio.calls("services")["alpha"] == fetched + 1


async def test_a_charge_at_the_quote_is_not_flagged(gw: Gateway, now: Now) -> None:
    order = await place(gw, await only_at(gw, "alpha"))
    row = await polled(gw, now, "alpha", order)
    assert row.charge is not None
    assert not row.flags
    assert events.ORDER_OVERCHARGED not in await outbox_types(gw)
    assert "smmgw_overcharged_orders_total{" not in (await exposition(gw)).decode()


@asynccontextmanager
async def on_clock(settings: Settings, trio: Trio, now: Now) -> AsyncIterator[Gateway]:
    providers = trio_providers(trio, settings)
    gw = await Gateway.open(settings, providers=providers, clock=now)
    try:
        yield gw
    finally:
        await gw.aclose()


async def test_a_catalog_not_synced_for_several_refreshes_is_not_routed(
    settings: Settings, trio: Trio, now: Now
) -> None:
    async with on_clock(settings, trio, now) as gw:
        group = await only_at(gw, "alpha")
        fields = {"link": "https://x.y/p", "quantity": group.min}
        assert (await gw.quote(group.id, fields)).chosen is not None
        refresh = gw.settings.catalog.refresh_seconds
        stale_after = timedelta(seconds=refresh * gw.settings.catalog.stale_after_refreshes)

        now.advance((stale_after - timedelta(seconds=1)).total_seconds())
        assert (await gw.quote(group.id, fields)).chosen is not None, "not stale yet"
        now.advance(2)
        quote = await gw.quote(group.id, fields)
        assert quote.chosen is None
        assert [e.reason for e in quote.excluded] == [Exclusion.CATALOG_STALE]

        await jobs(gw, now)["catalog_refresh"]("alpha")
        assert (await gw.quote(group.id, fields)).chosen is not None
        beta = await only_at(gw, "beta")
        beta_quote = await gw.quote(beta.id, {"link": "https://x.y/p", "quantity": beta.min})
        assert [e.reason for e in beta_quote.excluded] == [Exclusion.CATALOG_STALE]


async def test_the_stale_bound_is_configurable(settings: Settings, trio: Trio, now: Now) -> None:
    catalog = settings.catalog.model_copy(update={"stale_after_refreshes": 10.0})
    async with on_clock(settings.model_copy(update={"catalog": catalog}), trio, now) as gw:
        group = await only_at(gw, "alpha")
        fields = {"link": "https://x.y/p", "quantity": group.min}
        now.advance(settings.catalog.refresh_seconds * 9)
        assert (await gw.quote(group.id, fields)).chosen is not None
        now.advance(settings.catalog.refresh_seconds * 2)
        excluded = (await gw.quote(group.id, fields)).excluded
        assert [e.reason for e in excluded] == [Exclusion.CATALOG_STALE]
