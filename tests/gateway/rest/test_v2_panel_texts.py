"""``/api/v2 add`` answers a panel's refusal with the text a panel shows, never its message key,
and a corrected request may reuse the ``Idempotency-Key`` of an order that was never placed; a
refusal of the request itself from every member is told as the panels said it, except a
drip-feed's, which the gateway then runs itself."""

from __future__ import annotations

import httpx

from gateway.catalog import Group
from gateway.core import Gateway
from gateway.rest import v2_texts as texts
from gateway.routing import Exclusion
from gateway.store import GatewayState
from providers.models import ServiceType
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import v2
from tests.gateway.test_idempotency_reuse import DUPLICATE, gamma_group, order


async def test_a_duplicate_link_is_told_in_words_and_a_corrected_retry_places(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await gamma_group(gw)
    first = order(group, "https://instagram.com/someone")
    second = order(group, "https://instagram.com/someone-else")
    taken = await v2(client, "form", key=keys.alice, action="add", service=group.id, **first)
    assert set(taken) == {"order"}

    header = {"Idempotency-Key": "cart-42"}
    args = {"key": keys.alice, "action": "add", "service": group.id}
    refused = await v2(client, "form", headers=header, **args, **first)
    assert refused == {"error": DUPLICATE}
    assert await v2(client, "json", headers=header, **args, **first) == refused
    assert trio.calls("add")["gamma"] == 2

    corrected = await v2(client, "form", headers=header, **args, **second)
    assert set(corrected) == {"order"}
    assert corrected["order"] != taken["order"]
    assert await v2(client, "json", headers=header, **args, **second) == corrected
    assert await v2(client, "form", headers=header, **args, **first) == {"error": texts.KEY_REUSED}
    assert trio.calls("add")["gamma"] == 3


async def test_a_link_one_panel_is_busy_with_goes_to_another_member(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await gamma_group(gw, alone=False)
    fields = order(group, "https://instagram.com/shared-target")
    args = {"action": "add", "service": group.id, **fields}
    first = await v2(client, "form", key=keys.alice, **args)
    second = await v2(client, "form", key=keys.bob, **args)  # another client, the same link
    assert set(first) == set(second) == {"order"}
    placed = await gw.store.get_order(second["order"])
    assert placed.provider != "gamma"
    assert [a["error"] for a in placed.attempts] == ["LinkBusy"], "refused by gamma, then placed"
    assert trio.calls("add")["gamma"] == 2


async def test_a_drip_feed_every_member_refuses_is_run_by_the_gateway_instead(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    # Members whose listing does not say (most panels don't, alpha's among them) are tried;
    # each refuses, and the gateway runs the drip-feed itself.
    group = await refusing_group(gw, trio)
    before = sum(trio.calls("add").values())
    fields = {**order(group, "https://instagram.com/drip"), "runs": 2, "interval": 10}
    header = {"Idempotency-Key": "drip-1"}
    args = {"key": keys.alice, "action": "add", "service": group.id, **fields}
    placed = await v2(client, "form", headers=header, **args)
    assert set(placed) == {"order"}
    assert sum(trio.calls("add").values()) - before == len(group.members) + 1, "refused, then run 1"
    parent = await gw.store.get_order(placed["order"])
    assert parent.plan is not None
    assert (parent.plan["kind"], parent.plan["runs"], parent.plan["launched"]) == ("drip", 2, 1)
    [run] = (await gw.store.children_of([parent.id]))[parent.id]
    assert run.provider_order_id is not None
    assert "runs" not in run.request
    [refused] = [o for o in await gw.store.list_orders(None, None, None, 10) if o.id < parent.id]
    assert refused.state == GatewayState.FAILED
    assert refused.provider_order_id is None
    assert {a["error"] for a in refused.attempts} == {"NotSupported"}
    assert refused.error == texts.NO_DRIPFEED

    # The key stands for the order run by the gateway: a retry reaches no panel.
    assert await v2(client, "json", headers=header, **args) == placed
    assert sum(trio.calls("add").values()) - before == len(group.members) + 1
    status = await v2(client, "form", key=keys.alice, action="status", order=placed["order"])
    assert status["status"] == "Pending"

    # The refusals are remembered: the next drip-feed of the group is run without asking.
    other = {**args, "link": "https://instagram.com/drip-2"}
    decision = await gw.quote(
        group.id, {k: other[k] for k in ("link", "quantity", "runs", "interval")}
    )
    assert decision.chosen is None
    assert {(e.reason, e.detail) for e in decision.excluded} == {
        (Exclusion.NO_DRIPFEED, "refused by the panel lately")
    }
    second = await v2(client, "form", **other)
    assert set(second) == {"order"}
    assert sum(trio.calls("add").values()) - before == len(group.members) + 2, "its first run"
    assert (await gw.store.get_order(second["order"])).plan is not None


async def refusing_group(gw: Gateway, trio: Trio) -> Group:
    """A group of alpha's only, whose listing says nothing of drip-feed, which it refuses."""
    snapshot = await gw.catalog.snapshot()
    alpha = {str(s.id): s for s in trio.sims["alpha"].panel.services}
    return next(
        g
        for g in sorted(snapshot.groups.values(), key=lambda g: g.id)
        if g.type is ServiceType.DEFAULT
        and all(
            m.provider == "alpha" and m.service.dripfeed is None
            and not alpha[m.service.id].dripfeed
            for m in g.members
        )
    )  # fmt: skip
