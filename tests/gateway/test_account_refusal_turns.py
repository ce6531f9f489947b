"""An account order refused for its funds spends nothing of the provider it was routed to:
no request and no turn of the provider's rate limit, which every client shares."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from gateway.accounts.errors import AccountRefused
from gateway.config import Settings
from gateway.core import Gateway
from providers.registry import ProviderConfig, build
from tests.gateway.panels import Trio, shared_group
from tests.gateway.test_account_placement import fields_for, open_account


async def test_refused_orders_leave_the_providers_turns_to_others(
    settings: Settings, trio: Trio
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
        broke = await open_account(gw, "0", name="broke", markup_percent="20")
        for n in range(3):
            with pytest.raises(AccountRefused):
                await gw.place("broke", group.id, fields_for(group, n), account=broke)
        order = await gw.place("c", group.id, fields_for(group, 99))
        assert (order.state, order.provider, order.attempts) == ("PENDING", chosen, [])
        assert trio.calls("add") == {name: int(name == chosen) for name in trio.sims}
    finally:
        await gw.aclose()
