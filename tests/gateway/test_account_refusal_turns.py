"""An account order and its provider's turns: a refusal spends nothing of the provider it was
routed to (no request, and no turn of the rate limit every client shares, when the account as
read already says no); a funded order is written, held and marked sent in one transaction once
its turn comes, and funds spent meanwhile refuse it before the request leaves."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from gateway.accounts.errors import AccountRefused, InsufficientFunds
from gateway.config import Settings
from gateway.core import Gateway
from providers.models import OrderState
from providers.registry import ProviderConfig, build
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio, shared_group
from tests.gateway.test_account_placement import expected_price, fields_for, fresh, open_account
from tests.gateway.test_interrupted import one_call_at_a_time, until, until_orders
from tests.gateway.workers.helpers import eventually


@pytest.mark.parametrize(
    ("funds", "options"),
    [("0", {}), ("100", {"spend_cap_day": Decimal(0)})],
    ids=["no-funds", "spend-cap"],
)
async def test_refused_orders_leave_the_providers_turns_to_others(
    settings: Settings, trio: Trio, funds: str, options: dict[str, Any]
) -> None:
    # Three calls a minute per provider, and half a second to wait for a turn: had the three
    # refusals spent the chosen provider's turns, the funded order would go elsewhere.
    providers = {
        s.name: build(
            ProviderConfig(
                name=s.name, kind=s.kind, url=s.url, key=SecretStr(trio.sims[s.name].key or ""),
                profile=s.profile, currency=s.currency, timeout=0.5, calls_per_minute=3,
            )
        )
        for s in settings.providers
    }  # fmt: skip
    gw = await Gateway.open(settings, providers=providers)
    try:
        group = await shared_group(gw)
        decision = await gw.quote(group.id, fields_for(group))
        assert decision.chosen is not None
        chosen = decision.chosen.offer.provider
        refused = await open_account(gw, funds, name="refused", markup_percent="20", **options)
        for n in range(3):
            with pytest.raises(AccountRefused):
                await gw.place("refused", group.id, fields_for(group, n), account=refused)
        order = await gw.place("c", group.id, fields_for(group, 99))
        assert (order.state, order.provider, order.attempts) == ("PENDING", chosen, [])
        assert trio.calls("add") == {name: int(name == chosen) for name in trio.sims}
        assert await gw.store.list_orders(None, None, None, 10) == [order]
    finally:
        await gw.aclose()


async def test_a_funded_order_waiting_for_its_turn_has_no_row_and_holds_nothing_yet(
    settings: Settings, trio: Trio
) -> None:
    async with one_call_at_a_time(settings, trio) as gw:
        group = await shared_group(gw)
        shop = await open_account(gw, "100", markup_percent="20")
        decision = await gw.quote(group.id, fields_for(group))
        assert decision.chosen is not None
        first = trio.sims[decision.chosen.offer.provider]
        first.faults.add(Fault(FaultKind.HOLD, actions=frozenset({"add"}), count=1))
        sending = asyncio.create_task(gw.place("c", group.id, fields_for(group, 1)))
        await until(lambda: first.panel.calls["add"] == 1)
        waiting = asyncio.create_task(
            gw.place("shop", group.id, fields_for(group, 2), account=shop, idempotency_key="k")
        )
        # Its price reserved: past pricing, asking for the turn, where the old path had
        # written its row already.
        await eventually(lambda: gw.orders.funds_in_flight.pending(shop.id) > 0, within=30)
        assert not waiting.done()
        assert len(await until_orders(gw, 1)) == 1, "the slot is taken before the row"
        assert (await fresh(gw, shop)).held == 0
        first.faults.release()
        placed, order = await asyncio.gather(sending, waiting)
        account = await fresh(gw, shop)
        assert order.state == OrderState.PENDING
        assert order.sent_at is not None
        assert order.client_price is not None
        assert (account.held, account.balance) == (order.client_price, 100 - order.client_price)
        assert placed.state == OrderState.PENDING
        assert await gw.store.ledger_problems() == []


async def test_funds_spent_after_the_read_refuse_the_order_before_it_leaves(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    shop = await open_account(gw, "100", markup_percent="20")
    # Another order, another process: the funds go after the account was read for this call.
    await gw.store.adjust(shop.id, Decimal(-100), reason="spent elsewhere")
    with pytest.raises(InsufficientFunds):
        await gw.place("shop", group.id, fields_for(group), account=shop, idempotency_key="k")
    assert sum(trio.calls("add").values()) == 0, "no request left"
    assert await gw.store.list_orders(None, None, None, 10) == []
    assert (await fresh(gw, shop)).held == 0
    # Nothing was recorded under the key: the client's retry, once funded, is placed.
    await gw.store.top_up(shop.id, Decimal(100), reason="funds again")
    order = await gw.place(
        "shop", group.id, fields_for(group), account=await fresh(gw, shop), idempotency_key="k"
    )
    assert order.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 1
    assert await gw.store.ledger_problems() == []


async def test_a_burst_beyond_the_funds_spends_no_more_turns_than_the_funds_pay_for(
    settings: Settings, trio: Trio
) -> None:
    async with one_call_at_a_time(settings, trio) as gw:
        group = await shared_group(gw)
        decision = await gw.quote(group.id, fields_for(group))
        assert decision.chosen is not None
        first = trio.sims[decision.chosen.offer.provider]
        _, price = await expected_price(gw, group, fields_for(group), "20")
        # Funds for one order and a half; every order below comes with the account as read
        # before any of them, as a burst of requests shares one read.
        shop = await open_account(gw, str(price * 3 / 2), markup_percent="20")
        first.faults.add(Fault(FaultKind.HOLD, actions=frozenset({"add"}), count=1))
        sending = asyncio.create_task(gw.place("c", group.id, fields_for(group, 1)))
        await until(lambda: first.panel.calls["add"] == 1)

        def order(n: int) -> asyncio.Task[Any]:
            return asyncio.create_task(
                gw.place("shop", group.id, fields_for(group, n), account=shop)
            )

        reserved = order(2)  # its price reserved, waiting for the turn: no row, no hold yet
        await eventually(lambda: gw.orders.funds_in_flight.pending(shop.id) == price, within=30)
        held = order(3)  # the rest of the funds as read do not cover it: held before its turn
        await until_orders(gw, 2)
        # Beyond the funds now held: refused at once, while the only turn is still taken.
        for n in (4, 5):
            with pytest.raises(InsufficientFunds):
                await order(n)
        assert not reserved.done()
        assert not held.done()
        first.faults.release()
        placed = await sending
        # The reserved order's turn came after the held one took the funds: it is refused
        # under the account's lock, before its request leaves. One turn: what one order's
        # funds would pay for.
        with pytest.raises(InsufficientFunds):
            await reserved
        assert [placed.state, (await held).state] == [OrderState.PENDING] * 2
        assert first.panel.calls["add"] == 2
        account = await fresh(gw, shop)
        assert account.held == price
        assert gw.orders.funds_in_flight.pending(shop.id) == 0
        assert await gw.store.ledger_problems() == []
