"""A drip-feed's due run that no member can take for the moment (every member's provider in
cooldown after failures) waits and is launched once one can, instead of failing for good and
leaving the client order short of a run; on SQLite and PostgreSQL, over simulated panels."""

from __future__ import annotations

from gateway.core import Gateway
from gateway.store import GatewayState
from providers.models import OrderState
from tests.gateway import test_drip_emulation as emulation
from tests.gateway.panels import Trio
from tests.gateway.syncing import sync_statuses
from tests.gateway.test_account_placement import fresh, open_account
from tests.gateway.test_drip_emulation import (
    FORTNIGHT,
    NEEDS,
    assert_ledger,
    drip,
    later,
    no_drip_group,
    runs_of,
    worker,
)

trio = emulation.trio
settings = emulation.settings
"""The drip-feed tests' panels: their listings say which services offer drip-feed."""


async def test_a_run_no_member_can_take_for_now_waits_instead_of_failing(
    gw: Gateway, trio: Trio
) -> None:
    group = await no_drip_group(gw)
    shop = await open_account(gw, "1000", markup_percent="20")
    order = await gw.place("shop", group.id, drip(group, runs=2, n=20), account=shop, needs=NEEDS)
    trio.advance(FORTNIGHT)  # the first run completes
    await sync_statuses(gw)
    providers = {m.provider for m in group.members}
    for name in providers:
        for _ in range(gw.health.threshold):
            gw.health.failure(name, "the panel answered 503")
    adds = trio.calls("add")
    await worker(gw, later(11)).run()
    [first] = await runs_of(gw, order)
    assert first.state == OrderState.COMPLETED, "no run recorded while no member can take one"
    assert trio.calls("add") == adds
    waiting = await gw.store.get_order(order.id)
    assert waiting.state not in (OrderState.PARTIAL, GatewayState.FAILED)
    assert waiting.next_run_at is not None, "the run is still scheduled"
    for name in providers:
        gw.health.success(name)
    await worker(gw, later(12.5)).run()
    _, second = await runs_of(gw, order)
    assert second.state == OrderState.PENDING
    assert second.provider_order_id is not None
    trio.advance(FORTNIGHT)
    await sync_statuses(gw)
    await gw.orders.reconcile_parents()
    done = await gw.store.get_order(order.id)
    assert done.state == OrderState.COMPLETED
    assert done.client_charge == order.client_price, "every run delivered and charged"
    after = await fresh(gw, shop)
    assert after.held == 0
    await assert_ledger(gw)
